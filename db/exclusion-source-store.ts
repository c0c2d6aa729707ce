import type { ExclusionRecord } from '../domain/exclusion-sources/source';
import type { SourceCheckRecord } from '../lib/exclusion-source-contract';
import { nameWordConditions } from './name-search-words';
import { type Db, execute, query, queryOne } from './sql';

/**
 * The non-LEIE exclusion lists (docs/spec.md §8): every statement on exclusion_source_records,
 * exclusion_source_checks and exclusion_source_changes, and the search of
 * every list at once through the `exclusion_records` view (the LEIE's rows mapped to the generic
 * shape, UNION ALL the generic records; db/migrations/1200-exclusion-sources.ts). The import's
 * session, staging COPY and swap are in db/exclusion-source-import.ts.
 */

/** SOURCE_RECORD_JSON's object: a list's record in the one shape of every adapter, with its list. */
export type SourceRecordJson = ExclusionRecord & { source: string };

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

/**
 * Records a check; idempotent on the check id (a retried activity writes it once). An `unchanged`
 * check counts the list it verified, as the LEIE's do.
 */
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
       (id, source, trigger, source_updated_on, sha256, etag, last_modified, status, row_count, added, removed,
        rejected_rows, duration_ms, archive_key, error, workflow_id)
     VALUES ($id, $source, $trigger, $sourceUpdatedOn::date, $sha256, $etag, $lastModified, $status,
        coalesce($rowCount, CASE WHEN $status = 'unchanged'
          THEN (SELECT count(*) FROM exclusion_source_records WHERE source = $source) END),
        $added, $removed,
        $rejectedRows, ((extract(epoch FROM clock_timestamp()) * 1000)::bigint - $startedAt)::int,
        $archiveKey, $error, $workflowId)
     ON CONFLICT (id) DO NOTHING`,
    {
      id: record.checkId,
      source: record.sourceId,
      trigger: record.trigger,
      sourceUpdatedOn: record.sourceUpdatedOn ?? null,
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
  const words = await nameWordConditions(db, filter.q, 'search_norm');
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
