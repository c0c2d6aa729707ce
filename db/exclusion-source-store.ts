import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { ExclusionRecord } from '../domain/exclusion-sources/source';
import type { SourceCheckRecord } from '../lib/workflow-contracts';
import { type Db, execute, query, queryOne } from './sql';

/**
 * The non-LEIE exclusion lists (docs/spec.md §8): every statement on exclusion_source_records,
 * exclusion_source_checks, exclusion_source_changes and exclusion_source_alerts, and the search of
 * every list at once through the `exclusion_records` view (the LEIE's rows mapped to the generic
 * shape, UNION ALL the generic records; db/migrations/1200-exclusion-sources.ts).
 */

/** The share of the current rows a new file must reach, unless forced (docs/spec.md §4.4, §8). */
export const MIN_ROW_RATIO = 0.9;

/** The normalized name columns of a record, from the staged row `n` (ale_normalize_name, as everywhere). */
const NORMALIZED = {
  last: 'ale_normalize_name(n.last_name)',
  first: 'ale_normalize_name(n.first_name)',
  full: `ale_normalize_name(CASE WHEN n.last_name IS NULL AND n.first_name IS NULL THEN n.business_name
           ELSE coalesce(n.first_name, '') || ' ' || coalesce(n.last_name, '') END)`,
  search: `ale_normalize_name(concat_ws(' ', n.first_name, n.middle_name, n.last_name, n.business_name,
           array_to_string(ARRAY(SELECT jsonb_array_elements_text(n.aliases::jsonb)), ' ')))`,
};

/** A generic record as JSON, for the match views (`r` the joined exclusion_source_records row). */
export const SOURCE_RECORD_JSON = `CASE WHEN r.id IS NULL THEN NULL ELSE json_build_object(
    'source', r.source, 'exclusionKey', r.exclusion_key, 'entityKind', r.entity_kind,
    'firstName', r.first_name, 'middleName', r.middle_name, 'lastName', r.last_name,
    'businessName', r.business_name, 'aliases', r.aliases, 'npi', r.npi, 'dob', r.dob::text,
    'state', r.state, 'exclusionType', r.exclusion_type, 'startsOn', r.starts_on::text,
    'endsOn', r.ends_on::text) END`;

export interface SourceCheckRow {
  id: string;
  source: string;
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
  rejected_rows: number | null;
  duration_ms: number | null;
  archive_key: string | null;
  warning: string | null;
  error: string | null;
  workflow_id: string | null;
}

const CHECK_COLUMNS = `id, source, checked_at, trigger, source_updated_on::text AS source_updated_on, etag,
  last_modified, sha256, status, row_count, added, removed, rejected_rows, duration_ms, archive_key, warning,
  error, workflow_id`;

// ── Checks ───────────────────────────────────────────────────────────────────────────────────────

/** Records a check; idempotent on the check id (a retried activity writes it once). */
export async function insertSourceCheck(
  db: Db,
  record: SourceCheckRecord & {
    status: SourceCheckRow['status'];
    rowCount: number | null;
    added?: number | null;
    removed?: number | null;
  },
): Promise<void> {
  await execute(
    db,
    `INSERT INTO exclusion_source_checks
       (id, source, trigger, sha256, etag, last_modified, status, row_count, added, removed, rejected_rows,
        duration_ms, archive_key, error, workflow_id)
     VALUES ($id, $source, $trigger, $sha256, $etag, $lastModified, $status, $rowCount, $added, $removed,
        $rejectedRows, ((extract(epoch FROM clock_timestamp()) * 1000)::bigint - $startedAt)::int,
        $archiveKey, $error, $workflowId)
     ON CONFLICT (id) DO NOTHING`,
    {
      id: record.checkId,
      source: record.sourceId,
      trigger: record.trigger,
      sha256: record.sha256 ?? null,
      etag: record.etag ?? null,
      lastModified: record.lastModified ?? null,
      status: record.status,
      rowCount: record.rowCount,
      added: record.added ?? null,
      removed: record.removed ?? null,
      rejectedRows: record.rejectedRows ?? null,
      startedAt: record.startedAt,
      archiveKey: record.archiveKey ?? null,
      error: record.error ?? null,
      workflowId: record.workflowId,
    },
  );
}

export async function findSourceCheck(db: Db, checkId: string): Promise<SourceCheckRow | null> {
  return (
    (await queryOne<SourceCheckRow>(
      db,
      `SELECT ${CHECK_COLUMNS} FROM exclusion_source_checks WHERE id = $checkId`,
      {
        checkId,
      },
    )) ?? null
  );
}

export async function findLastSourceCheck(db: Db, source: string): Promise<SourceCheckRow | null> {
  return (
    (await queryOne<SourceCheckRow>(
      db,
      `SELECT ${CHECK_COLUMNS} FROM exclusion_source_checks WHERE source = $source
        ORDER BY checked_at DESC, id DESC LIMIT 1`,
      { source },
    )) ?? null
  );
}

export async function findLastSourceImport(db: Db, source: string): Promise<SourceCheckRow | null> {
  return (
    (await queryOne<SourceCheckRow>(
      db,
      `SELECT ${CHECK_COLUMNS} FROM exclusion_source_checks WHERE source = $source AND status = 'imported'
        ORDER BY checked_at DESC, id DESC LIMIT 1`,
      { source },
    )) ?? null
  );
}

/** The file the list in force came from: its sha256, for the "same file" short cut. */
export async function findSourceBaselineSha256(db: Db, source: string): Promise<string | null> {
  const row = await queryOne<{ sha256: string | null }>(
    db,
    `SELECT sha256 FROM exclusion_source_checks WHERE source = $source AND status IN ('imported', 'unchanged')
       AND sha256 IS NOT NULL ORDER BY checked_at DESC, id DESC LIMIT 1`,
    { source },
  );
  return row?.sha256 ?? null;
}

/** Newest first; `after` is the (checked_at, id) of the previous page's last check. */
export function listSourceChecks(
  db: Db,
  source: string,
  limit: number,
  after: readonly [string, string] | undefined,
): Promise<SourceCheckRow[]> {
  return query<SourceCheckRow>(
    db,
    `SELECT ${CHECK_COLUMNS}, checked_at::text AS cursor_at FROM exclusion_source_checks
      WHERE source = $source
        ${after ? 'AND (checked_at, id) < (CAST($afterAt AS timestamptz), CAST($afterId AS uuid))' : ''}
      ORDER BY checked_at DESC, id DESC LIMIT $limit`,
    { source, limit, afterAt: after?.[0] ?? null, afterId: after?.[1] ?? null },
  );
}

export async function countSourceRecords(db: Db, source: string): Promise<number> {
  const row = await queryOne<{ n: number }>(
    db,
    'SELECT count(*)::int AS n FROM exclusion_source_records WHERE source = $source',
    { source },
  );
  return row?.n ?? 0;
}

// ── Alerts: one email per failed/stale episode ──────────────────────────────────────────────────

/**
 * Claims the alert for `state` of a source: true when platform admins have not been told about this
 * episode yet (the state differs from the one last alerted). A state that needs no alert (fresh,
 * never…) ends the episode, so the next failure is alerted again.
 */
export async function claimSourceAlert(
  db: Db,
  source: string,
  state: string,
  alert: boolean,
): Promise<boolean> {
  if (!alert) {
    await execute(
      db,
      `INSERT INTO exclusion_source_alerts (source, state, alerted_at) VALUES ($source, $state, NULL)
       ON CONFLICT (source) DO UPDATE SET state = excluded.state, alerted_at = NULL, updated_at = now()
       WHERE exclusion_source_alerts.state IS DISTINCT FROM excluded.state`,
      { source, state },
    );
    return false;
  }
  const claimed = await execute(
    db,
    `INSERT INTO exclusion_source_alerts (source, state, alerted_at) VALUES ($source, $state, now())
     ON CONFLICT (source) DO UPDATE SET state = excluded.state, alerted_at = now(), updated_at = now()
     WHERE exclusion_source_alerts.state IS DISTINCT FROM excluded.state
     RETURNING id`,
    { source, state },
  );
  return claimed > 0;
}

// ── The import: a session of its own, COPY into staging, one transaction to swap ────────────────

/** A connection of its own for one import attempt: its temporary staging table dies with it. */
export type SourceImportSession = pg.Client;

export async function openSourceImportSession(databaseUrl: string): Promise<SourceImportSession> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'exclusion-source-sync' });
  try {
    await client.connect();
    await execute(client, `SET temp_buffers = '64MB'`);
    return client;
  } catch (error) {
    await client.end().catch(() => {});
    throw error;
  }
}

export async function closeSourceImportSession(session: SourceImportSession): Promise<void> {
  await session.end().catch(() => {});
}

const STAGING_COLUMNS = [
  'exclusion_key',
  'entity_kind',
  'first_name',
  'middle_name',
  'last_name',
  'business_name',
  'aliases',
  'npi',
  'dob',
  'state',
  'exclusion_type',
  'starts_on',
  'ends_on',
] as const;

/** COPY text format: backslash, tab, newline and carriage return escaped; null as \N. */
function copyField(value: string | null): string {
  if (value === null) return '\\N';
  return value.replace(/[\\\t\n\r]/g, (c) =>
    c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r',
  );
}

function copyLine(record: ExclusionRecord): string {
  const fields = [
    record.exclusionKey,
    record.entityKind,
    record.firstName,
    record.middleName,
    record.lastName,
    record.businessName,
    JSON.stringify(record.aliases ?? []),
    record.npi,
    record.dob,
    record.state,
    record.exclusionType,
    record.startsOn,
    record.endsOn,
  ];
  return `${fields.map(copyField).join('\t')}\n`;
}

/** Batches of COPY lines: big writes, fewer round trips through the stream. */
const COPY_BATCH_BYTES = 256 * 1024;

/** The COPY of a file's records into the session's staging table, fed a record at a time. */
export class SourceStagingCopy {
  private out: string[] = [];
  private outBytes = 0;
  readonly done: Promise<void>;
  records = 0;

  private constructor(private readonly stream: Writable) {
    this.done = finished(stream);
    this.done.catch(() => {});
  }

  static async begin(session: SourceImportSession): Promise<SourceStagingCopy> {
    await execute(
      session,
      `CREATE TEMP TABLE IF NOT EXISTS exclusion_source_staging (
         line bigserial, exclusion_key text NOT NULL, entity_kind text NOT NULL, first_name text,
         middle_name text, last_name text, business_name text, aliases text, npi text, dob date, state text,
         exclusion_type text, starts_on date, ends_on date)`,
    );
    await execute(session, 'TRUNCATE exclusion_source_staging');
    return new SourceStagingCopy(
      session.query(
        copyFrom(`COPY exclusion_source_staging (${STAGING_COLUMNS.join(', ')}) FROM STDIN`),
      ) as unknown as Writable,
    );
  }

  /** Queues one record; resolves once the stream can take more (backpressure). */
  async add(record: ExclusionRecord): Promise<void> {
    const line = copyLine(record);
    this.out.push(line);
    this.outBytes += line.length;
    this.records += 1;
    if (this.outBytes >= COPY_BATCH_BYTES) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.out.length === 0) return;
    const data = this.out.join('');
    this.out = [];
    this.outBytes = 0;
    if (!this.stream.write(data)) await once(this.stream, 'drain');
  }

  async end(): Promise<void> {
    await this.flush();
    this.stream.end();
    await this.done;
  }

  /** Stops the COPY (the file was refused): the session is closed right after. */
  abort(): void {
    this.stream.destroy();
  }
}

/** Raised inside the swap: the new file is shorter than MIN_ROW_RATIO of the list in force. */
export class ShortListError extends Error {
  constructor(
    readonly previous: number,
    readonly next: number,
  ) {
    super(
      next === 0
        ? 'the file has no readable records; the current list is kept'
        : `the file has ${next} records, fewer than ${MIN_ROW_RATIO * 100} % of the current ${previous}; the current list is kept (force to override)`,
    );
  }
}

export interface SourceSwap {
  rowCount: number;
  added: number;
  removed: number;
}

/**
 * The swap: one transaction under the source's advisory lock — refused when the staged records are
 * fewer than MIN_ROW_RATIO of the list in force (unless `force`) or none; otherwise the records gone
 * from the file deleted, the changed ones updated, the new ones inserted, the added/removed keys
 * logged and the `imported` check written. Readers see the old list until COMMIT. A key repeated in
 * the file counts once (its first record wins).
 */
export async function swapSourceList(
  session: SourceImportSession,
  input: { record: SourceCheckRecord; force: boolean },
): Promise<SourceSwap> {
  const { record, force } = input;
  const source = record.sourceId;
  const count = async (sql: string, bind: Record<string, unknown> = {}) =>
    (await queryOne<{ n: number }>(session, sql, { source, ...bind }))?.n as number;
  await execute(session, 'BEGIN');
  try {
    await execute(session, `SELECT pg_advisory_xact_lock(hashtext('exclusion_source_records:' || $source))`, {
      source,
    });
    await execute(
      session,
      `CREATE TEMP TABLE exclusion_source_next ON COMMIT DROP AS
         SELECT DISTINCT ON (exclusion_key) * FROM exclusion_source_staging ORDER BY exclusion_key, line`,
    );
    await execute(session, 'CREATE UNIQUE INDEX ON exclusion_source_next (exclusion_key)');
    await execute(session, 'ANALYZE exclusion_source_next');
    const next = await count('SELECT count(*)::int AS n FROM exclusion_source_next');
    const previous = await count(
      'SELECT count(*)::int AS n FROM exclusion_source_records WHERE source = $source',
    );
    if (next === 0 || (!force && previous > 0 && next < previous * MIN_ROW_RATIO)) {
      throw new ShortListError(previous, next);
    }
    await insertSourceCheck(session, { ...record, status: 'imported', rowCount: next });
    const removed = await count(
      `WITH gone AS (
         DELETE FROM exclusion_source_records r WHERE r.source = $source
           AND NOT EXISTS (SELECT 1 FROM exclusion_source_next n WHERE n.exclusion_key = r.exclusion_key)
         RETURNING r.exclusion_key),
       logged AS (
         INSERT INTO exclusion_source_changes (check_id, exclusion_key, change)
         SELECT $checkId, exclusion_key, 'removed' FROM gone RETURNING 1)
       SELECT count(*)::int AS n FROM logged`,
      { checkId: record.checkId },
    );
    await execute(
      session,
      `UPDATE exclusion_source_records r SET entity_kind = n.entity_kind, first_name = n.first_name,
         middle_name = n.middle_name, last_name = n.last_name, business_name = n.business_name,
         aliases = ARRAY(SELECT jsonb_array_elements_text(n.aliases::jsonb)), npi = n.npi, dob = n.dob,
         state = n.state, exclusion_type = n.exclusion_type, starts_on = n.starts_on, ends_on = n.ends_on,
         last_name_norm = ${NORMALIZED.last}, first_name_norm = ${NORMALIZED.first},
         full_name_norm = ${NORMALIZED.full}, search_norm = ${NORMALIZED.search}, updated_at = now()
       FROM exclusion_source_next n
       WHERE r.source = $source AND r.exclusion_key = n.exclusion_key
         AND (r.entity_kind, r.first_name, r.middle_name, r.last_name, r.business_name, r.aliases, r.npi,
              r.dob, r.state, r.exclusion_type, r.starts_on, r.ends_on)
             IS DISTINCT FROM
             (n.entity_kind, n.first_name, n.middle_name, n.last_name, n.business_name,
              ARRAY(SELECT jsonb_array_elements_text(n.aliases::jsonb)), n.npi, n.dob, n.state,
              n.exclusion_type, n.starts_on, n.ends_on)`,
      { source },
    );
    const added = await count(
      `WITH fresh AS (
         INSERT INTO exclusion_source_records (source, exclusion_key, entity_kind, first_name, middle_name,
           last_name, business_name, aliases, npi, dob, state, exclusion_type, starts_on, ends_on,
           last_name_norm, first_name_norm, full_name_norm, search_norm)
         SELECT $source, n.exclusion_key, n.entity_kind, n.first_name, n.middle_name, n.last_name,
           n.business_name, ARRAY(SELECT jsonb_array_elements_text(n.aliases::jsonb)), n.npi, n.dob, n.state,
           n.exclusion_type, n.starts_on, n.ends_on,
           ${NORMALIZED.last}, ${NORMALIZED.first}, ${NORMALIZED.full}, ${NORMALIZED.search}
         FROM exclusion_source_next n
         WHERE NOT EXISTS (SELECT 1 FROM exclusion_source_records r
                           WHERE r.source = $source AND r.exclusion_key = n.exclusion_key)
         RETURNING exclusion_key),
       logged AS (
         INSERT INTO exclusion_source_changes (check_id, exclusion_key, change)
         SELECT $checkId, exclusion_key, 'added' FROM fresh RETURNING 1)
       SELECT count(*)::int AS n FROM logged`,
      { checkId: record.checkId },
    );
    await execute(
      session,
      `UPDATE exclusion_source_checks SET added = $added, removed = $removed,
         duration_ms = ((extract(epoch FROM clock_timestamp()) * 1000)::bigint - $startedAt)::int
       WHERE id = $id`,
      { id: record.checkId, added, removed, startedAt: record.startedAt },
    );
    await execute(session, 'COMMIT');
    return { rowCount: next, added, removed };
  } catch (error) {
    await execute(session, 'ROLLBACK').catch(() => {});
    throw error;
  }
}

// ── GET /v1/exclusions: every list at once ──────────────────────────────────────────────────────

export interface ExclusionRecordRow {
  id: string;
  source: string;
  exclusion_key: string;
  entity_kind: 'individual' | 'business';
  first_name: string | null;
  middle_name: string | null;
  last_name: string | null;
  business_name: string | null;
  aliases: string[];
  npi: string | null;
  dob: string | null;
  state: string | null;
  exclusion_type: string | null;
  starts_on: string | null;
  ends_on: string | null;
  sort_name: string;
}

/**
 * A page of every list (the `exclusion_records` view) by normalized name; `after` is the (sort
 * name, source, id) of the previous page's last row. Each word of `q` (normalized like every name)
 * must appear in the record's names or aliases; a `q` with no word left finds nothing.
 */
export async function searchAllExclusions(
  db: Db,
  filter: { q?: string; npi?: string; state?: string; sources: readonly string[] },
  limit: number,
  after: readonly [string, string, string] | undefined,
): Promise<ExclusionRecordRow[]> {
  const conditions: string[] = ['source = ANY($sources::text[])'];
  const bind: Record<string, unknown> = { limit, sources: [...filter.sources] };
  const normalized = filter.q
    ? await queryOne<{ value: string | null }>(db, 'SELECT ale_normalize_name($q) AS value', { q: filter.q })
    : undefined;
  const words = (normalized?.value ?? '').split(' ').filter(Boolean);
  if (filter.q && words.length === 0) return [];
  words.forEach((word, index) => {
    conditions.push(`search_norm LIKE $w${index}`);
    bind[`w${index}`] = `%${word}%`;
  });
  if (filter.npi) {
    conditions.push('npi = $npi');
    bind.npi = filter.npi;
  }
  if (filter.state) {
    conditions.push('state = $state');
    bind.state = filter.state;
  }
  if (after) {
    conditions.push('(sort_name, source, id) > ($afterName::text, $afterSource::text, $afterId::uuid)');
    bind.afterName = after[0];
    bind.afterSource = after[1];
    bind.afterId = after[2];
  }
  return query<ExclusionRecordRow>(
    db,
    `SELECT id, source, exclusion_key, entity_kind, first_name, middle_name, last_name, business_name, aliases,
            npi, dob::text AS dob, state, exclusion_type, starts_on::text AS starts_on, ends_on::text AS ends_on,
            sort_name
       FROM exclusion_records
      WHERE ${conditions.join(' AND ')}
      ORDER BY sort_name, source, id
      LIMIT $limit`,
    bind,
  );
}
