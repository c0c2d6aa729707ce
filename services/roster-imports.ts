import { randomUUID } from 'node:crypto';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { Client } from '@temporalio/client';
import type { Sequelize } from 'sequelize';
import { recordAudit } from '../db/audit-store';
import {
  findOrganizationRosterImport,
  insertRosterImport,
  type RosterFormat,
  type RosterImportMode,
  type RosterImportRow,
  requestOrganizationImportsCancel,
  requestRosterImportCancel,
  rosterImportErrorPage,
} from '../db/roster-import-store';
import type { Db } from '../db/sql';
import { withWorkflowIntents } from '../db/workflow-outbox-store';
import { ConflictError, ForbiddenError, NotFoundError } from '../domain/errors';
import { dropPrefix, formatOfKey, uploadPrefix } from '../domain/roster-object-keys';
import { neutralizeCsvCell } from '../domain/roster-row';
import { createPresigningS3Client } from '../lib/aws';
import type { Config } from '../lib/config';
import {
  ROSTER_IMPORT_WORKFLOW_TYPE,
  type RosterKind,
  rosterImportWorkflowId,
} from '../lib/workflow-contracts';
import { deliverWorkflowIntentsOf, recordWorkflowIntent } from './workflow-outbox';

/** Roster imports as the API and the S3 webhook start and read them (docs/spec.md §4.2). */

export interface RosterImportDeps {
  sequelize: Sequelize;
  temporal: Client;
  config: Config;
}

export interface NewImport {
  id?: string;
  organizationId: string;
  kind: RosterKind;
  bucket: string;
  key: string;
  etag?: string | null;
  format: RosterFormat;
  mode: RosterImportMode;
  dryRun: boolean;
  force: boolean;
  createdBy: string | null;
}

/**
 * The outbox entity of an organization's imports of one kind: their workflows start in arrival
 * order, which is the order in which they then take turns (docs/spec.md §4.2).
 */
const importsEntityKey = (organizationId: string, kind: RosterKind) =>
  `roster-imports/${organizationId}/${kind}`;

/**
 * Records the import and, in the same transaction, the start of `roster-import/<id>` (the outbox
 * delivers it). With a deterministic id (S3 events) a second call finds the row and starts nothing new.
 */
export async function startRosterImport(
  deps: RosterImportDeps,
  input: NewImport,
): Promise<{ row: RosterImportRow; created: boolean }> {
  const id = input.id ?? randomUUID();
  const workflowId = rosterImportWorkflowId(id);
  const inserted = await withWorkflowIntents(deps.sequelize, async (tx) => {
    const row = await insertRosterImport(tx, {
      id,
      organizationId: input.organizationId,
      kind: input.kind,
      bucket: input.bucket,
      key: input.key,
      etag: input.etag ?? null,
      format: input.format,
      mode: input.mode,
      dryRun: input.dryRun,
      force: input.force,
      workflowId,
      createdBy: input.createdBy,
    });
    if (!row) return undefined;
    await recordAudit(tx, {
      actorUserId: input.createdBy,
      action: 'roster_import.created',
      entityType: 'roster_import',
      entityId: id,
      organizationId: input.organizationId,
      details: {
        kind: input.kind,
        mode: input.mode,
        dryRun: input.dryRun,
        force: input.force,
        format: input.format,
      },
    });
    // The outbox starts it (docs/spec.md §12), also when Temporal is down right now.
    await recordWorkflowIntent(tx, importsEntityKey(input.organizationId, input.kind), {
      kind: 'start',
      workflowType: ROSTER_IMPORT_WORKFLOW_TYPE,
      workflowId,
      taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
      args: [{ importId: id }],
      reuse: 'reject-duplicate',
    });
    return row;
  });
  const created = inserted !== undefined;
  const row = inserted ?? (await findOrganizationRosterImport(deps.sequelize, input.organizationId, id));
  if (!row) throw new NotFoundError(`Import ${id} was not found.`);
  // A redelivered event delivers what its first delivery may have left waiting.
  await deliverWorkflowIntentsOf(deps, importsEntityKey(input.organizationId, input.kind));
  return { row, created };
}

/** Starts the import of an object already in the bucket: only keys under the organization's prefixes. */
export function startRosterImportOfKey(
  deps: RosterImportDeps,
  input: {
    organizationId: string;
    kind: RosterKind;
    s3Key: string;
    mode: RosterImportMode;
    dryRun: boolean;
    force: boolean;
    createdBy: string;
  },
) {
  const { config } = deps;
  const allowed = [
    uploadPrefix(config, input.organizationId),
    dropPrefix(config, input.kind, input.organizationId),
  ];
  if (!allowed.some((prefix) => input.s3Key.startsWith(prefix)) || input.s3Key.includes('/../')) {
    throw new ForbiddenError(
      `s3Key must be under ${allowed.join(' or ')}: this organization cannot import other objects.`,
    );
  }
  return startRosterImport(deps, {
    organizationId: input.organizationId,
    kind: input.kind,
    bucket: config.AWS_S3_BUCKET_NAME,
    key: input.s3Key,
    format: formatOfKey(input.s3Key),
    mode: input.mode,
    dryRun: input.dryRun,
    force: input.force,
    createdBy: input.createdBy,
  });
}

const UPLOAD_URL_SECONDS = 900;

const safeFilename = (name: string) =>
  name
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[._]+/, '')
    .slice(-100) || 'roster';

/** One presigning client per configuration (lib/aws.ts says why it is not the app's S3 client). */
const presigners = new WeakMap<Config, S3Client>();
function presigner(config: Config): S3Client {
  let client = presigners.get(config);
  if (!client) {
    client = createPresigningS3Client(config);
    presigners.set(config, client);
  }
  return client;
}

/** A presigned PUT of a roster file under the organization's upload prefix; the import is started later. */
export async function rosterUploadUrl(
  { config }: { config: Config },
  input: { organizationId: string; kind: RosterKind; filename: string },
) {
  const key = `${uploadPrefix(config, input.organizationId)}${input.kind}/${randomUUID()}/${safeFilename(input.filename)}`;
  const url = await getSignedUrl(
    presigner(config),
    new PutObjectCommand({ Bucket: config.AWS_S3_BUCKET_NAME, Key: key }),
    { expiresIn: UPLOAD_URL_SECONDS },
  );
  return { url, key, method: 'PUT' as const, expiresIn: UPLOAD_URL_SECONDS };
}

/** The organization's import, or NotFoundError. */
export async function organizationRosterImport(sequelize: Sequelize, organizationId: string, id: string) {
  const row = await findOrganizationRosterImport(sequelize, organizationId, id);
  if (!row) throw new NotFoundError(`Import ${id} was not found.`);
  return row;
}

/**
 * Cancels a queued or running import (docs/spec.md §12: a real workflow cancellation, through the
 * outbox, after its start): a queued one ends at once, a running one between batches, keeping what
 * it committed. The row's cancel request is the same stop for the reading activity. An ended import
 * is a ConflictError.
 */
export async function cancelRosterImport(
  deps: RosterImportDeps,
  input: { organizationId: string; id: string; actorUserId: string },
) {
  const { organizationId, id } = input;
  const current = await organizationRosterImport(deps.sequelize, organizationId, id);
  const row = await withWorkflowIntents(deps.sequelize, async (tx) => {
    const requested = await requestRosterImportCancel(tx, id);
    if (!requested) return undefined;
    await recordAudit(tx, {
      actorUserId: input.actorUserId,
      action: 'roster_import.cancel_requested',
      entityType: 'roster_import',
      entityId: id,
      organizationId: requested.organization_id,
    });
    await recordCancelIntent(tx, requested);
    return requested;
  });
  if (!row) {
    throw new ConflictError(
      `Import ${id} has already ${current.status === 'cancelled' ? 'been cancelled' : current.status}.`,
    );
  }
  await deliverWorkflowIntentsOf(deps, importsEntityKey(row.organization_id, row.kind));
  return row;
}

/** The real workflow cancellation of an import whose row records the request (docs/spec.md §12). */
async function recordCancelIntent(tx: Db, row: RosterImportRow) {
  await recordWorkflowIntent(tx, importsEntityKey(row.organization_id, row.kind), {
    kind: 'cancel',
    workflowId: row.workflow_id ?? rosterImportWorkflowId(row.id),
  });
}

/**
 * Cancels every queued or running import of an organization being deleted, in the deletion's
 * transaction: nothing is written into an organization once it is deleted. Returns the outbox keys
 * to deliver after the commit.
 */
export async function cancelOrganizationImports(
  tx: Db,
  input: { organizationId: string; actorUserId: string },
): Promise<string[]> {
  const cancelled = await requestOrganizationImportsCancel(tx, input.organizationId);
  for (const row of cancelled) {
    await recordAudit(tx, {
      actorUserId: input.actorUserId,
      action: 'roster_import.cancel_requested',
      entityType: 'roster_import',
      entityId: row.id,
      organizationId: row.organization_id,
      details: { reason: 'organization.delete' },
    });
    await recordCancelIntent(tx, row);
  }
  return [...new Set(cancelled.map((row) => importsEntityKey(row.organization_id, row.kind)))];
}

const CSV_ERRORS_PAGE = 5000;

/**
 * The import's rejected rows as CSV text, read a page at a time as the client takes it; cells that
 * a spreadsheet would run as a formula are neutralized.
 */
export async function rosterImportErrorsCsv(sequelize: Sequelize, organizationId: string, id: string) {
  await organizationRosterImport(sequelize, organizationId, id);
  const cell = (value: string | number | null) =>
    `"${neutralizeCsvCell(value === null ? '' : String(value)).replaceAll('"', '""')}"`;
  let after: [number, string] | undefined;
  let headerSent = false;
  return new ReadableStream<string>({
    async pull(controller) {
      if (!headerSent) {
        headerSent = true;
        controller.enqueue('row_number,column,code,message,value\r\n');
      }
      const rows = await rosterImportErrorPage(sequelize, id, CSV_ERRORS_PAGE, after);
      for (const row of rows) {
        controller.enqueue(
          `${[row.row_number, row.column, row.code, row.message, row.value].map(cell).join(',')}\r\n`,
        );
      }
      const last = rows.at(-1);
      if (rows.length < CSV_ERRORS_PAGE || !last) controller.close();
      else after = [last.row_number, last.id];
    },
  });
}
