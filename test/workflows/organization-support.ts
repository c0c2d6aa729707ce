import { randomUUID } from 'node:crypto';
import { ListResourceRecordSetsCommand, type ResourceRecordSet } from '@aws-sdk/client-route-53';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { Worker } from '@temporalio/worker';
import sharp from 'sharp';
import type { Activities } from '../../activities/index';
import { createActivities } from '../../activities/index';
import { findOrganization, type OrganizationRow } from '../../db/organization-store';
import { createDataConverter } from '../../lib/temporal';
import { auditTrail, createUser } from '../support/fixtures';
import { stack } from '../support/stack';

/** Helpers shared by the organization lifecycle tests (workflow and API). */

export const freshSubdomain = (prefix = 'org') => `${prefix}-${randomUUID().slice(0, 8)}`;

/** Every CNAME in the test hosted zone named `<subdomain>.<BASE_DOMAIN>.` for one of `subdomains`. */
export async function dnsRecords(...subdomains: string[]): Promise<ResourceRecordSet[]> {
  const { config, route53 } = stack();
  const names = new Set(subdomains.map((subdomain) => `${subdomain}.${config.BASE_DOMAIN}.`));
  const records: ResourceRecordSet[] = [];
  let start: { name?: string; type?: string } = {};
  for (;;) {
    const page = await route53.send(
      new ListResourceRecordSetsCommand({
        HostedZoneId: config.ROUTE53_HOSTED_ZONE_ID,
        StartRecordName: start.name,
        StartRecordType: start.type as 'CNAME' | undefined,
      }),
    );
    records.push(...(page.ResourceRecordSets ?? []).filter((record) => names.has(record.Name ?? '')));
    if (!page.IsTruncated) return records;
    start = { name: page.NextRecordName, type: page.NextRecordType };
  }
}

export async function logoObject(key: string) {
  return stack()
    .s3.send(new HeadObjectCommand({ Bucket: stack().config.AWS_S3_LOGOS_BUCKET_NAME, Key: key }))
    .then(
      (head) => head,
      (error: Error) => {
        if (error.name === 'NotFound' || error.name === 'NoSuchKey') return null;
        throw error;
      },
    );
}

export async function logoBytes(key: string): Promise<Buffer> {
  const object = await stack().s3.send(
    new GetObjectCommand({ Bucket: stack().config.AWS_S3_LOGOS_BUCKET_NAME, Key: key }),
  );
  return Buffer.from(
    await (object.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
  );
}

/** Re-reads the organization until `predicate` holds (or fails after `timeoutMs` showing the last row). */
export async function organizationWhen(
  id: string,
  predicate: (organization: OrganizationRow) => boolean,
  timeoutMs = 20_000,
): Promise<OrganizationRow> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const organization = await findOrganization(stack().sequelize, id);
    if (!organization) throw new Error(`Organization ${id} does not exist.`);
    if (predicate(organization)) return organization;
    if (Date.now() > deadline) {
      throw new Error(`Organization never reached the expected state: ${JSON.stringify(organization)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 20_000,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function auditActions(organizationId: string): Promise<string[]> {
  return (await auditTrail(organizationId)).map((row) => row.action);
}

/**
 * A real worker whose activities are the real ones except `overrides`: used to make Route 53 look
 * slow (GetChange stays PENDING), which moto never is.
 */
export function createWorkerWith(taskQueue: string, overrides: Partial<Activities>, configOverrides = {}) {
  const deps = stack().activityDeps(configOverrides);
  return Worker.create({
    connection: stack().workerConnection,
    namespace: deps.config.TEMPORAL_NAMESPACE,
    taskQueue,
    workflowBundle: stack().workflowBundle,
    activities: { ...createActivities(deps), ...overrides },
    dataConverter: createDataConverter(deps.config),
    shutdownGraceTime: '2s',
  });
}

/** A platform admin, the app on `taskQueue`, and shortcuts to create organizations through it. */
export async function organizationApi(taskQueue: string) {
  const app = stack().createApp({ TEMPORAL_TASK_QUEUE: taskQueue });
  const admin = await createUser({ platformAdmin: true });
  return { app, admin };
}

export async function pngOf(width: number, height: number, color = '#3366ff') {
  return sharp({ create: { width, height, channels: 4, background: color } })
    .png()
    .toBuffer();
}
