import { organizationAcceptsImports } from '../db/roster-import-store';
import { dropOfKey, formatOfKey, s3EventImportId } from '../domain/roster-object-keys';
import { type RosterImportDeps, startRosterImport } from './roster-imports';

/**
 * S3 event notifications for roster drops (`<prefix><kind>-list/<orgId>/…`): each created object
 * starts a replace import. The import id is derived from bucket + key + ETag, so a redelivered event
 * finds its import and starts nothing new.
 */

/** One record of an S3 event notification, as the webhook validates it. */
export interface S3EventRecord {
  eventName: string;
  s3: { bucket: { name: string }; object: { key: string; eTag?: string; sequencer?: string } };
}

export type DropOutcome =
  | { import: { id: string; organizationId: string; workflowId: string; key: string; created: boolean } }
  | { ignored: { key: string; reason: string } };

/** Starts (or finds, for a redelivered event) the import of each dropped object; says why others are ignored. */
export async function importRosterDrops(
  deps: RosterImportDeps,
  records: readonly S3EventRecord[],
): Promise<DropOutcome[]> {
  const outcomes: DropOutcome[] = [];
  for (const record of records) outcomes.push(await importRosterDrop(deps, record));
  return outcomes;
}

async function importRosterDrop(deps: RosterImportDeps, record: S3EventRecord): Promise<DropOutcome> {
  const { config, sequelize } = deps;
  // S3 URL-encodes keys in events, with + for spaces.
  const key = decodeURIComponent(record.s3.object.key.replace(/\+/g, ' '));
  const bucket = record.s3.bucket.name;
  const ignore = (reason: string): DropOutcome => ({ ignored: { key, reason } });
  if (!record.eventName.startsWith('ObjectCreated:')) {
    return ignore(`event ${record.eventName} is not an object creation`);
  }
  if (bucket !== config.AWS_S3_BUCKET_NAME) return ignore(`bucket ${bucket} is not the uploads bucket`);
  const drop = dropOfKey(config, key);
  if (!drop) return ignore('not under <kind>-list/<organizationId>/');
  if (!(await organizationAcceptsImports(sequelize, drop.organizationId))) {
    return ignore(`organization ${drop.organizationId} does not exist or is being deleted`);
  }
  const version = record.s3.object.eTag ?? record.s3.object.sequencer ?? '';
  const { row, created } = await startRosterImport(deps, {
    id: s3EventImportId(bucket, key, version),
    organizationId: drop.organizationId,
    kind: drop.kind,
    bucket,
    key,
    etag: record.s3.object.eTag ? `"${record.s3.object.eTag.replaceAll('"', '')}"` : null,
    format: formatOfKey(key),
    mode: 'replace',
    dryRun: false,
    force: false,
    createdBy: null,
  });
  return {
    import: {
      id: row.id,
      organizationId: row.organization_id,
      workflowId: row.workflow_id ?? '',
      key,
      created,
    },
  };
}
