import { createHash } from 'node:crypto';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { ConflictError } from '../domain/errors';
import { type LEIE_COLUMNS, LeieFailureType, LeieFormatError, rowCountProblem } from '../domain/leie';
import { type KeptRecords, RecordHashMultiset } from '../domain/leie-record-hashes';
import type { OigBaseline, OigCheckRecord, OigImported } from '../lib/workflow-contracts';
import {
  AFFECTED_HASHES,
  COPY_STAGING_RAW,
  CREATE_STAGING_RAW,
  DELETE_REMOVED,
  INSERT_ADDED,
  INVALID_FIELDS_TOTAL,
  LIST_HASHES,
  parseListCopy,
  RECORD_COLUMNS,
  STAGE_AFFECTED,
  STAGE_NEXT,
  UPDATE_CHANGED,
} from './exclusion-list-diff-sql';
import { nameWordConditions } from './name-search-words';
import { type Db, execute, query, queryOne } from './sql';

export { copyFileProblem, isDatabaseError } from './exclusion-list-diff-sql';

/**
 * The exclusion list (the LEIE as last imported), its checks and the keys each import changed: every
 * statement on oig_employees_exclusion, oig_exclusions_check and oig_exclusion_changes. The import's
 * difference SQL is in ./exclusion-list-diff-sql.ts and runs on an `ImportSession` of this module.
 */

type RecordColumn = Lowercase<(typeof LEIE_COLUMNS)[number]>;

/** A row of oig_employees_exclusion (dates as Postgres's text, like every `date` of the pool). */
export type OigExclusionRow = Record<RecordColumn, string | null> & {
  id: string;
  exclusion_key: string;
  row_hash: Buffer | null;
  invalid_fields: number | null;
  last_name_norm: string | null;
  first_name_norm: string | null;
  full_name_norm: string | null;
  created_at: Date;
  updated_at: Date;
};

/** A row of oig_exclusions_check. */
export interface OigCheckRow {
  id: string;
  checked_at: Date;
  trigger: 'schedule' | 'manual';
  source_updated_on: string | null;
  etag: string | null;
  last_modified: string | null;
  sha256: string | null;
  status: 'unchanged' | 'imported' | 'failed';
  row_count: number | null;
  added: number | null;
  removed: number | null;
  invalid_fields: number | null;
  duration_ms: number | null;
  archive_key: string | null;
  warning: string | null;
  error: string | null;
  workflow_id: string | null;
}

/** A row of oig_exclusion_changes. */
export interface OigExclusionChangeRow {
  id: string;
  check_id: string;
  exclusion_key: string;
  change: 'added' | 'removed';
  created_at: Date;
  updated_at: Date;
}

// ── Checks and the list's status ─────────────────────────────────────────────────────────────────

export const CHECK_COLUMNS = `id, checked_at, trigger, source_updated_on::text AS source_updated_on, etag, last_modified,
  sha256, status, row_count, added, removed, invalid_fields, duration_ms, archive_key, warning, error, workflow_id`;

export async function findLastCheck(db: Db): Promise<OigCheckRow | null> {
  return (
    (await queryOne<OigCheckRow>(
      db,
      `SELECT ${CHECK_COLUMNS} FROM oig_exclusions_check ORDER BY checked_at DESC, id DESC LIMIT 1`,
    )) ?? null
  );
}

export async function findLastImport(db: Db): Promise<OigCheckRow | null> {
  return (
    (await queryOne<OigCheckRow>(
      db,
      `SELECT ${CHECK_COLUMNS} FROM oig_exclusions_check WHERE status = 'imported'
        ORDER BY checked_at DESC, id DESC LIMIT 1`,
    )) ?? null
  );
}

/** Newest first; `after` is the (checked_at, id) of the previous page's last check. */
export async function listChecks(
  db: Db,
  limit: number,
  after: readonly [string, string] | undefined,
): Promise<OigCheckRow[]> {
  return query<OigCheckRow>(
    db,
    `SELECT ${CHECK_COLUMNS} FROM oig_exclusions_check
      ${after ? 'WHERE (checked_at, id) < ($checkedAt::timestamptz, $id::uuid)' : ''}
      ORDER BY checked_at DESC, id DESC LIMIT $limit`,
    { limit, ...(after ? { checkedAt: after[0], id: after[1] } : {}) },
  );
}

export async function countExclusions(db: Db): Promise<number> {
  return (
    (await queryOne<{ n: number }>(db, 'SELECT count(*)::int AS n FROM oig_employees_exclusion'))?.n ?? 0
  );
}

/** What the last good list came from: the latest import, or a later check that verified the same file. */
export async function findOigBaseline(db: Db): Promise<OigBaseline | null> {
  return (
    (await queryOne<OigBaseline>(
      db,
      `SELECT id AS "checkId", source_updated_on::text AS "sourceUpdatedOn", etag,
              last_modified AS "lastModified", sha256
         FROM oig_exclusions_check
        WHERE status = 'imported' OR (status = 'unchanged' AND sha256 IS NOT NULL)
        ORDER BY checked_at DESC, id DESC
        LIMIT 1`,
    )) ?? null
  );
}

/** The check's `imported` outcome when it already committed (a retry whose completion was lost). */
export async function findImportedCheck(db: Db, checkId: string): Promise<OigImported | null> {
  const row = await queryOne<
    Omit<OigImported, 'outcome' | 'updated' | 'invalidFields'> & { invalidFields: number | null }
  >(
    db,
    `SELECT etag, last_modified AS "lastModified", sha256, archive_key AS "archiveKey", row_count AS "rowCount",
            added, removed, invalid_fields AS "invalidFields"
       FROM oig_exclusions_check WHERE id = $checkId AND status = 'imported'`,
    { checkId },
  );
  if (!row) return null;
  return { outcome: 'imported', ...row, updated: 0, invalidFields: row.invalidFields ?? 0 };
}

/** Idempotent: the check id is the workflow's. An `unchanged` check counts the list it verified. */
export async function insertCheck(
  db: Db,
  record: OigCheckRecord & { status: 'imported' | 'unchanged' | 'failed'; rowCount: number | null },
): Promise<void> {
  await execute(
    db,
    `INSERT INTO oig_exclusions_check
       (id, checked_at, trigger, source_updated_on, etag, last_modified, sha256, status, row_count,
        invalid_fields, duration_ms, archive_key, warning, error, workflow_id, created_at, updated_at)
     VALUES ($id, now(), $trigger, $sourceUpdatedOn, $etag, $lastModified, $sha256, $status,
        coalesce($rowCount, CASE WHEN $status = 'unchanged' THEN (SELECT count(*) FROM oig_employees_exclusion) END),
        $invalidFields, (extract(epoch FROM clock_timestamp()) * 1000)::bigint - $startedAt,
        $archiveKey, $warning, $error, $workflowId, now(), now())
     ON CONFLICT (id) DO NOTHING
     RETURNING id`,
    {
      id: record.checkId,
      trigger: record.trigger,
      sourceUpdatedOn: record.sourceUpdatedOn,
      etag: record.etag ?? null,
      lastModified: record.lastModified ?? null,
      sha256: record.sha256 ?? null,
      status: record.status,
      rowCount: record.rowCount,
      invalidFields: record.invalidFields ?? null,
      startedAt: record.startedAt,
      archiveKey: record.archiveKey ?? null,
      warning: record.warning ?? null,
      error: record.error ?? null,
      workflowId: record.workflowId,
    },
  );
}

/**
 * The staging tables of the three-activity import that syncs used before the one-pass import, one
 * pair per workflow. The failure path still drops them so running syncs keep their command sequence.
 */
export async function dropStagingTables(db: Db, workflowId: string): Promise<void> {
  const suffix = createHash('sha256').update(workflowId).digest('hex').slice(0, 16);
  await execute(db, `DROP TABLE IF EXISTS oig_staging_raw_${suffix}, oig_staging_${suffix}`);
}

// ── GET /v1/oig/exclusions ───────────────────────────────────────────────────────────────────────

export type ExclusionSearchRow = Pick<OigExclusionRow, 'id' | 'exclusion_key' | RecordColumn> & {
  sort_name: string;
};

/**
 * A page of the list by normalized name; `after` is the (sort name, id) of the previous page's last
 * row. `q` is normalized like every name (ale_normalize_name) and each of its words must appear; a
 * `q` with no word left finds nothing.
 */
export async function searchExclusions(
  db: Db,
  filter: { q?: string; npi?: string; state?: string },
  limit: number,
  after: readonly [string, string] | undefined,
): Promise<ExclusionSearchRow[]> {
  const conditions: string[] = [];
  const bind: Record<string, unknown> = { limit };
  const words = await nameWordConditions(db, filter.q, 'full_name_norm');
  if (!words) return [];
  conditions.push(...words.conditions);
  Object.assign(bind, words.bind);
  if (filter.npi) {
    conditions.push('npi = $npi');
    bind.npi = filter.npi;
  }
  if (filter.state) {
    conditions.push('state = $state');
    bind.state = filter.state;
  }
  if (after) {
    conditions.push(`(coalesce(full_name_norm, ''), id) > ($afterName::text, $afterId::uuid)`);
    bind.afterName = after[0];
    bind.afterId = after[1];
  }
  return query<ExclusionSearchRow>(
    db,
    `SELECT id, coalesce(full_name_norm, '') AS sort_name, exclusion_key, ${RECORD_COLUMNS.join(', ')}
       FROM oig_employees_exclusion
      ${conditions.length ? `WHERE ${conditions.join(' AND ')}` : ''}
      ORDER BY coalesce(full_name_norm, ''), id
      LIMIT $limit`,
    bind,
  );
}

// ── The import: one session, the list's hashes, COPY of fresh records, the difference applied ────

/**
 * A connection of its own for one import attempt: its session-local staging tables go with it
 * when a worker dies, and temp_buffers can only be set before the session's first temp table.
 */
export type ImportSession = pg.Client;

export async function openImportSession(databaseUrl: string): Promise<ImportSession> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'oig-sync' });
  try {
    await client.connect();
    await execute(client, `SET temp_buffers = '64MB'`);
    return client;
  } catch (error) {
    await client.end().catch(() => {});
    throw error;
  }
}

export async function closeImportSession(session: ImportSession): Promise<void> {
  await session.end().catch(() => {});
}

export interface ListHashes {
  version: string;
  /** Rows in the list, hashed or not. */
  total: number;
  /** Unreadable dates in the list's rows. */
  invalidFields: number;
  hashes: RecordHashMultiset;
}

/** The list's record hashes (multiset), row count, unreadable dates and version, in one snapshot. */
export async function readListHashes(session: ImportSession): Promise<ListHashes> {
  await execute(session, 'BEGIN ISOLATION LEVEL REPEATABLE READ');
  const row = await queryOne<{ version: string }>(session, 'SELECT version::text FROM oig_list_version');
  const chunks: Buffer[] = [];
  for await (const chunk of session.query(copyTo(LIST_HASHES)) as AsyncIterable<Buffer>) chunks.push(chunk);
  await execute(session, 'COMMIT');
  const { total, invalidFields, hashes } = parseListCopy(Buffer.concat(chunks));
  return { version: row?.version ?? '0', total, invalidFields, hashes: new RecordHashMultiset(hashes) };
}

const NEWLINE = Buffer.from('\n');

/** The COPY of the file's fresh records into the session's staging table, fed a chunk at a time. */
export class StagingCopy {
  private out: Buffer[] = [];
  readonly done: Promise<void>;

  private constructor(private readonly stream: Writable) {
    this.done = finished(stream);
    this.done.catch(() => {});
  }

  static async begin(session: ImportSession): Promise<StagingCopy> {
    await execute(session, CREATE_STAGING_RAW);
    return new StagingCopy(session.query(copyFrom(COPY_STAGING_RAW)));
  }

  /** Queues one record (its bytes as published) with its line in the file and its hash (hex). */
  add(line: number, rowHashHex: string, record: Buffer): void {
    this.out.push(Buffer.from(`${line},\\x${rowHashHex},`), record, NEWLINE);
  }

  /** Sends what is queued, with backpressure; a COPY error rejects it. */
  async flush(): Promise<void> {
    if (this.out.length === 0) return;
    const data = Buffer.concat(this.out);
    this.out = [];
    if (!this.stream.write(data)) await once(this.stream, 'drain');
  }

  async end(): Promise<void> {
    await this.flush();
    this.stream.end();
    await this.done;
  }
}

export interface ListDifference {
  record: OigCheckRecord;
  list: ListHashes;
  /** Records in the file. */
  lines: number;
  /** The file's records a row of the list took. */
  kept: KeptRecords;
  /** Settles once the file is archived: the transaction commits only then. */
  archived: Promise<unknown>;
}

/**
 * The swap: one transaction under the list's advisory lock — refused below the minimum share of the
 * current rows (LeieFormatError), refused when the list changed since its hashes were read
 * (ConflictError), otherwise the affected groups' rows deleted/updated/inserted, the added/removed
 * keys logged and the `imported` check written; committed once the archive is stored.
 */
export async function applyListDifference(session: ImportSession, input: ListDifference) {
  const { record, list } = input;
  const count = async (sql: string, bind: Record<string, unknown> = {}) =>
    (await queryOne<{ n: number }>(session, sql, bind))?.n as number;
  await execute(session, 'BEGIN');
  try {
    await execute(session, `SELECT pg_advisory_xact_lock(hashtext('oig_employees_exclusion'))`);
    const current = await queryOne<{ version: string }>(
      session,
      'SELECT version::text FROM oig_list_version FOR UPDATE',
    );
    if (current?.version !== list.version) {
      throw new ConflictError(
        'the OIG list changed while this file was being staged (another sync?); staging again',
      );
    }
    const problem = rowCountProblem(list.total, input.lines);
    if (problem) throw new LeieFormatError(LeieFailureType.tooFewRows, problem);

    // The list's rows no record of the file took: their records are gone from the file.
    const gone = list.hashes.untaken();
    for (const sql of STAGE_AFFECTED) await execute(session, sql, { gone });
    const affected = (await query<{ h: string }>(session, AFFECTED_HASHES)).map(({ h }) => h);
    const kept = input.kept.select(list.hashes, affected);
    await execute(session, STAGE_NEXT, { lines: kept.lines, hashes: kept.hashes });
    await insertCheck(session, { ...record, status: 'imported', rowCount: input.lines });
    const removed = await count(DELETE_REMOVED, { checkId: record.checkId });
    const updated = await count(UPDATE_CHANGED);
    const added = await count(INSERT_ADDED, { checkId: record.checkId });
    if (list.total - removed + added !== input.lines) {
      throw new Error(
        `the OIG difference does not add up: ${list.total} − ${removed} + ${added} ≠ ${input.lines} records`,
      );
    }
    const invalidFields = await count(INVALID_FIELDS_TOTAL, { listInvalidFields: list.invalidFields });
    await execute(
      session,
      `UPDATE oig_exclusions_check SET added = $added, removed = $removed, invalid_fields = $invalidFields,
              duration_ms = (extract(epoch FROM clock_timestamp()) * 1000)::bigint - $startedAt
        WHERE id = $id`,
      { id: record.checkId, added, removed, invalidFields, startedAt: record.startedAt },
    );
    await input.archived;
    await execute(session, 'COMMIT');
    return { rowCount: input.lines, added, removed, updated, invalidFields };
  } catch (error) {
    await execute(session, 'ROLLBACK').catch(() => {});
    throw error;
  }
}
