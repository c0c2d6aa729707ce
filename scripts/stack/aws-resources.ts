import { randomUUID } from 'node:crypto';
import { CreateHostedZoneCommand, ListHostedZonesByNameCommand } from '@aws-sdk/client-route-53';
import {
  CreateBucketCommand,
  HeadBucketCommand,
  PutBucketNotificationConfigurationCommand,
} from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { createRoute53Client, createS3Client, createSqsClient } from '../../lib/aws';
import type { Config } from '../../lib/config';

type AwsStackConfig = Pick<
  Config,
  | 'AWS_REGION'
  | 'AWS_ENDPOINT_URL'
  | 'AWS_S3_BUCKET_NAME'
  | 'AWS_S3_LOGOS_BUCKET_NAME'
  | 'AWS_S3_CONNECT_TIMEOUT_MS'
  | 'AWS_S3_SOCKET_TIMEOUT_MS'
  | 'BASE_DOMAIN'
>;

/** The queue the uploads bucket notifies of created objects (docs/spec.md §12, S3 drops through SQS). */
export const S3_EVENTS_QUEUE_NAME = 'ale-s3-events';

/**
 * Creates the buckets, the hosted zone for BASE_DOMAIN and the S3 events queue if missing, and
 * points the uploads bucket's notification at the queue; returns the zone id and the queue URL.
 */
export async function ensureAwsResources(
  config: AwsStackConfig,
): Promise<{ hostedZoneId: string; s3EventsQueueUrl: string }> {
  const s3 = createS3Client(config);
  const route53 = createRoute53Client(config);
  const sqs = createSqsClient(config);
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
    // CreateQueue answers the existing queue's URL when the attributes match: idempotent.
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: S3_EVENTS_QUEUE_NAME }));
    if (!QueueUrl) throw new Error(`SQS did not return a URL for the queue ${S3_EVENTS_QUEUE_NAME}`);
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
    );
    await s3.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: config.AWS_S3_BUCKET_NAME,
        NotificationConfiguration: {
          QueueConfigurations: [{ QueueArn: Attributes?.QueueArn, Events: ['s3:ObjectCreated:*'] }],
        },
      }),
    );
    return { hostedZoneId: zoneId.replace('/hostedzone/', ''), s3EventsQueueUrl: QueueUrl };
  } finally {
    s3.destroy();
    route53.destroy();
    sqs.destroy();
  }
}
