import { randomUUID } from 'node:crypto';
import { CreateHostedZoneCommand, ListHostedZonesByNameCommand } from '@aws-sdk/client-route-53';
import { CreateBucketCommand, HeadBucketCommand } from '@aws-sdk/client-s3';
import { createRoute53Client, createS3Client } from '../../lib/aws';
import type { Config } from '../../lib/config';

type AwsStackConfig = Pick<
  Config,
  'AWS_REGION' | 'AWS_ENDPOINT_URL' | 'AWS_S3_BUCKET_NAME' | 'AWS_S3_LOGOS_BUCKET_NAME' | 'BASE_DOMAIN'
>;

/** Creates the buckets and the hosted zone for BASE_DOMAIN if missing; returns the zone id. */
export async function ensureAwsResources(config: AwsStackConfig): Promise<{ hostedZoneId: string }> {
  const s3 = createS3Client(config);
  const route53 = createRoute53Client(config);
  try {
    for (const bucket of [config.AWS_S3_BUCKET_NAME, config.AWS_S3_LOGOS_BUCKET_NAME]) {
      const exists = await s3.send(new HeadBucketCommand({ Bucket: bucket })).then(
        () => true,
        () => false,
      );
      if (!exists) await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    }
    const zoneName = `${config.BASE_DOMAIN}.`;
    const zones = await route53.send(new ListHostedZonesByNameCommand({ DNSName: zoneName, MaxItems: 1 }));
    const existing = zones.HostedZones?.find((zone) => zone.Name === zoneName);
    const zoneId =
      existing?.Id ??
      (await route53.send(new CreateHostedZoneCommand({ Name: zoneName, CallerReference: randomUUID() })))
        .HostedZone?.Id;
    if (!zoneId) throw new Error(`Route 53 did not return an id for the hosted zone ${zoneName}`);
    return { hostedZoneId: zoneId.replace('/hostedzone/', '') };
  } finally {
    s3.destroy();
    route53.destroy();
  }
}
