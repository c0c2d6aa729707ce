import { ExternalIdSet } from '../domain/external-id-set';
import type { ImportCounts, RosterImportSummary, RosterKind } from '../lib/workflow-contracts';
import { int4Array, textArray } from './binary-arrays';
import { type Db, execute, query, queryOne } from './sql';

/**
 * Every statement on a roster import's own tables: `roster_imports` (the import, its counters and
 * status), `roster_import_batches` (the external ids of each committed batch), `roster_import_keys`
 * (the e-mail keys claimed while it runs) and `roster_import_errors` (its rejected rows). The rows
 * an import writes into employees/patients are db/people-import-store.ts's.
 */

export type RosterImportStatus = RosterImportSummary['status'];
export type RosterFormat = 'csv' | 'xlsx';
export type RosterImportMode = 'replace' | 'merge';

/** A `roster_imports` row. */
export interface RosterImportRow {
  id: string;
  organization_id: string;
  kind: RosterKind;
  source_bucket: string;
  source_key: string;
  source_etag: string | null;
  format: RosterFormat;
  mode: RosterImportMode;
  dry_run: boolean;
  force: boolean;
  status: RosterImportStatus;
  total_count: number;
  inserted_count: number;
  updated_count: number;
  unchanged_count: number;
  deactivated_count: number;
  rejected_count: number;
  rows_processed: number;
  unknown_columns: string[];
  workflow_id: string | null;
  error_report_key: string | null;
  created_by: string | null;
  failure_reason: string | null;
  cancel_requested_at: Date | null;
  started_at: Date | null;
  finished_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** A `roster_import_batches` row: the external ids whose first row is in the batch after `rows_before` rows. */
export interface RosterImportBatchRow {
  import_id: string;
  rows_before: number;
  external_ids: string[];
}

/** A `roster_import_keys` row: an e-mail key (`e:` + lower(email)) this import claimed. */
export interface RosterImportKeyRow {
  import_id: string;
  key: string;
}

/** A `roster_import_errors` row: one problem of one rejected row. */
export interface RosterImportErrorRow {
  id: string;
  import_id: string;
  row_number: number;
  column: string | null;
  code: string;
  message: string;
  value: string | null;
  created_at: Date;
  updated_at: Date;
}

export function rosterImportCounts(row: RosterImportRow): ImportCounts {
  return {
    total: row.total_count,
    inserted: row.inserted_count,
    updated: row.updated_count,
    unchanged: row.unchanged_count,
    deactivated: row.deactivated_count,
    rejected: row.rejected_count,
  };
}

/** What the workflow learns about an import: ids, status and counts — never rows. */
export function rosterImportSummary(row: RosterImportRow): RosterImportSummary {
  return {
    importId: row.id,
    organizationId: row.organization_id,
    kind: row.kind,
    status: row.status,
    rowsProcessed: row.rows_processed,
    counts: rosterImportCounts(row),
    screen: !row.dry_run && row.kind !== 'patients' && row.inserted_count + row.updated_count > 0,
  };
}

export interface NewRosterImport {
  id: string;
  organizationId: string;
  kind: RosterKind;
  bucket: string;
  key: string;
  etag: string | null;
  format: RosterFormat;
  mode: RosterImportMode;
  dryRun: boolean;
  force: boolean;
  workflowId: string | null;
  createdBy: string | null;
}

/** Records a queued import; undefined when an import with this id exists already (nothing changes). */
export function insertRosterImport(db: Db, imp: NewRosterImport): Promise<RosterImportRow | undefined> {
  return queryOne<RosterImportRow>(
    db,
    `INSERT INTO roster_imports (id, organization_id, kind, source_bucket, source_key, source_etag, format, mode,
       dry_run, force, workflow_id, created_by)
     VALUES ($id, $organizationId, $kind, $bucket, $key, $etag, $format, $mode, $dryRun, $force, $workflowId,
       $createdBy)
     ON CONFLICT (id) DO NOTHING RETURNING *`,
    { ...imp },
  );
}

/** The import, locked until the transaction `db` ends when `lock` is set. */
export function findRosterImport(db: Db, id: string, { lock = false } = {}) {
  return queryOne<RosterImportRow>(
    db,
    `SELECT * FROM roster_imports WHERE id = $id${lock ? ' FOR UPDATE' : ''}`,
    { id },
  );
}

/** The import when it belongs to the organization. */
export function findOrganizationRosterImport(db: Db, organizationId: string, id: string) {
  return queryOne<RosterImportRow>(
    db,
    'SELECT * FROM roster_imports WHERE id = $id AND organization_id = $organizationId',
    { id, organizationId },
  );
}

/** One page of the organization's imports, newest first; `cursor_at` is created_at as Postgres's text. */
export function rosterImportPage(
  db: Db,
  organizationId: string,
  limit: number,
  after: readonly [createdAt: string, id: string] | undefined,
) {
  return query<RosterImportRow & { cursor_at: string }>(
    db,
    `SELECT *, created_at::text AS cursor_at FROM roster_imports WHERE organization_id = $organizationId
     ${after ? 'AND (created_at, id) < ($afterCreatedAt::timestamptz, $afterId::uuid)' : ''}
     ORDER BY created_at DESC, id DESC LIMIT $limit`,
    { organizationId, limit, afterCreatedAt: after?.[0], afterId: after?.[1] },
  );
}

/** One page of the import's rejected rows, in file order. */
export function rosterImportErrorPage(
  db: Db,
  importId: string,
  limit: number,
  after: readonly [rowNumber: number, id: string] | undefined,
) {
  return query<Pick<RosterImportErrorRow, 'id' | 'row_number' | 'column' | 'code' | 'message' | 'value'>>(
    db,
    `SELECT id, row_number, "column", code, message, value FROM roster_import_errors WHERE import_id = $importId
     ${after ? 'AND (row_number, id) > ($afterRowNumber::int, $afterId::uuid)' : ''}
     ORDER BY row_number, id LIMIT $limit`,
    { importId, limit, afterRowNumber: after?.[0], afterId: after?.[1] },
  );
}

/** Marks a queued or running import running with the ETag it reads; undefined when it has ended. */
export function markRosterImportRunning(db: Db, id: string, etag: string | null) {
  return queryOne<RosterImportRow>(
    db,
    `UPDATE roster_imports SET status = 'running', source_etag = $etag, started_at = coalesce(started_at, now()),
       updated_at = now() WHERE id = $id AND status IN ('queued','running') RETURNING *`,
    { id, etag },
  );
}

/** The file's header columns that no roster field matched. */
export async function recordUnknownColumns(db: Db, id: string, unknownColumns: string[]) {
  await execute(db, 'UPDATE roster_imports SET unknown_columns = $unknownColumns WHERE id = $id', {
    id,
    unknownColumns,
  });
}

/** The cancel request of the queued and running imports the caller's condition picks. */
const REQUEST_CANCEL = `UPDATE roster_imports SET cancel_requested_at = coalesce(cancel_requested_at, now()),
  updated_at = now() WHERE status IN ('queued','running')`;

/** Asks a queued or running import to stop between batches; undefined when it has ended. */
export function requestRosterImportCancel(db: Db, id: string) {
  return queryOne<RosterImportRow>(db, `${REQUEST_CANCEL} AND id = $id RETURNING *`, { id });
}

/** Asks every queued or running import of the organization to stop (its deletion); the imports asked. */
export function requestOrganizationImportsCancel(db: Db, organizationId: string) {
  return query<RosterImportRow>(db, `${REQUEST_CANCEL} AND organization_id = $organizationId RETURNING *`, {
    organizationId,
  });
}

export async function recordDeactivatedCount(db: Db, id: string, deactivated: number) {
  await execute(db, 'UPDATE roster_imports SET deactivated_count = $deactivated WHERE id = $id', {
    id,
    deactivated,
  });
}

/** Ends the import with `status`; its keys and batch ids only serve it while it runs, so they go. */
export async function endRosterImport(
  db: Db,
  id: string,
  status: 'succeeded' | 'failed' | 'cancelled',
  failureReason: string | null,
): Promise<RosterImportRow> {
  const row = await queryOne<RosterImportRow>(
    db,
    `UPDATE roster_imports SET status = $status, failure_reason = $failureReason, finished_at = now(), updated_at = now()
     WHERE id = $id RETURNING *`,
    { id, status, failureReason },
  );
  await execute(
    db,
    'WITH keys AS (DELETE FROM roster_import_keys WHERE import_id = $id) DELETE FROM roster_import_batches WHERE import_id = $id',
    { id },
  );
  return row as RosterImportRow;
}

/** The external ids of the batches committed before `rowsBefore`, read a page of batches at a time. */
export async function committedExternalIds(db: Db, importId: string, rowsBefore: number) {
  const ids = new ExternalIdSet();
  let after = -2;
  for (;;) {
    const batches = await query<Pick<RosterImportBatchRow, 'rows_before' | 'external_ids'>>(
      db,
      `SELECT rows_before, external_ids FROM roster_import_batches
       WHERE import_id = $importId AND rows_before > $after AND rows_before < $rowsBefore ORDER BY rows_before LIMIT 50`,
      { importId, after, rowsBefore },
    );
    for (const { external_ids } of batches) for (const id of external_ids) ids.add(id);
    const last = batches.at(-1);
    if (!last) return ids;
    after = last.rows_before;
  }
}

// ── A batch's statements on the import's tables (db/roster-batch-pipeline.ts runs them) ──────────

/**
 * A batch transaction may skip the WAL flush wait: a batch lost in a database crash takes its
 * counter with it (same transaction), so the retry simply writes it again; the import's end commits
 * durably. The lock timeout only bounds an unforeseen wait; a batch normally waits for its
 * predecessor alone.
 */
export async function relaxBatchTransaction(tx: Db) {
  await execute(tx, "SET LOCAL synchronous_commit = off; SET LOCAL lock_timeout = '2min'");
}

/**
 * Claims the batch's e-mail keys for this import: per key, the batch's first row, unless an earlier
 * batch (or an earlier attempt of this one that committed) already claimed it. Postgres lower-cases
 * them, exactly like the unique index on lower(email) and the replace step (JavaScript's lower-casing
 * differs for some letters, so the worker cannot judge e-mails itself). Returns the row numbers that
 * did not win their key.
 */
export async function claimRosterEmailKeys(
  tx: Db,
  importId: string,
  rowNumbers: readonly number[],
  emails: readonly string[],
): Promise<number[]> {
  const lost = await query<{ row_number: number }>(
    tx,
    `
WITH input AS (
  SELECT k.row_number, 'e:' || lower(k.email) AS key FROM unnest($rowNumbers::int[], $emails::text[]) AS k(row_number, email)
),
candidates AS (SELECT DISTINCT ON (key) key, row_number FROM input ORDER BY key, row_number),
claimed AS (
  INSERT INTO roster_import_keys (import_id, key) SELECT $importId, key FROM candidates
  ON CONFLICT DO NOTHING RETURNING key
)
SELECT i.row_number FROM input i
WHERE NOT EXISTS (SELECT 1 FROM candidates c JOIN claimed USING (key) WHERE c.row_number = i.row_number)`,
    { importId, rowNumbers: int4Array(rowNumbers), emails: textArray(emails) },
  );
  return lost.map((row) => row.row_number);
}

export interface BatchProgress {
  importId: string;
  /** rows_processed before this batch: the position guard. */
  rowsBefore: number;
  rows: number;
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: number;
  /** The external ids whose first row in the file is in this batch. */
  externalIds: readonly string[];
}

/**
 * Records the batch's external ids and advances the counters, guarded by the expected position: a
 * second attempt that raced this one cannot count a batch twice (nor record its ids twice: the key).
 * Undefined when the guard failed; otherwise whether a cancel was requested.
 */
export function recordBatchProgress(tx: Db, progress: BatchProgress) {
  return queryOne<Pick<RosterImportRow, 'cancel_requested_at'>>(
    tx,
    `
WITH ids AS (
  INSERT INTO roster_import_batches (import_id, rows_before, external_ids) VALUES ($importId, $rowsBefore, $externalIds::text[])
)
UPDATE roster_imports SET rows_processed = rows_processed + $rows, total_count = total_count + $rows,
  inserted_count = inserted_count + $inserted, updated_count = updated_count + $updated,
  unchanged_count = unchanged_count + $unchanged, rejected_count = rejected_count + $rejected, updated_at = now()
WHERE id = $importId AND rows_processed = $rowsBefore AND status = 'running'
RETURNING cancel_requested_at`,
    { ...progress, externalIds: textArray(progress.externalIds) },
  );
}

/**
 * Whether S3 drops for the organization may start imports: it exists and is neither being deleted nor
 * deleted (docs/spec.md §12). (A read of
 * `organizations` that belongs in the organization store once there is one.)
 */
export async function organizationAcceptsImports(db: Db, organizationId: string): Promise<boolean> {
  const row = await queryOne<{ id: string }>(
    db,
    "SELECT id FROM organizations WHERE id = $organizationId AND status NOT IN ('deprovisioning', 'deleted')",
    { organizationId },
  );
  return row !== undefined;
}

/**
 * docs/spec.md §4.2: imports of one organization and kind run one at a time, in arrival order. The
 * open imports (queued or running, not dry runs) of the same organization and kind that arrived
 * before this one, oldest first; and whether this one was asked to cancel. Undefined when it does
 * not exist.
 */
export async function rosterImportsAhead(
  db: Db,
  importId: string,
): Promise<
  | { ahead: { id: string; workflowId: string | null }[]; cancelRequested: boolean; dryRun: boolean }
  | undefined
> {
  const row = await queryOne<{
    ahead: { id: string; workflowId: string | null }[];
    cancel_requested: boolean;
    dry_run: boolean;
  }>(
    db,
    `SELECT i.cancel_requested_at IS NOT NULL AS cancel_requested, i.dry_run,
       COALESCE((SELECT json_agg(json_build_object('id', o.id, 'workflowId', o.workflow_id)
                                 ORDER BY o.created_at, o.id)
                 FROM roster_imports o
                 WHERE o.organization_id = i.organization_id AND o.kind = i.kind
                   AND o.status IN ('queued', 'running') AND NOT o.dry_run AND o.id <> i.id
                   AND (o.created_at, o.id) < (i.created_at, i.id)), '[]'::json) AS ahead
     FROM roster_imports i WHERE i.id = $importId`,
    { importId },
  );
  return row && { ahead: row.ahead, cancelRequested: row.cancel_requested, dryRun: row.dry_run };
}
