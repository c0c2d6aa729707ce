import type { Sequelize } from 'sequelize';
import type { AgreedField, MatchReason } from '../domain/match-reasons';
import type { MatchStatus } from '../domain/match-review';
import type { ScreeningScope } from '../lib/workflow-contracts';
import { SOURCE_RECORD_JSON, type SourceRecordJson } from './exclusion-source-store';
import { type ExclusionStatus, exclusionStatusSql } from './exclusion-status-sql';
import { markPeopleScreened } from './last-screened-store';
import { scopeOrganizationId, scopeSql, screenSql } from './screening-match-sql';
import { type Db, execute, inTransaction, query, queryOne } from './sql';

/**
 * Exclusion screening and its matches: the statements on exclusion_matches — the set-based
 * screening (its SQL text built in db/screening-match-sql.ts), the alerts, the API's list and the
 * people's exclusion status — and the reads of employees and the lists that screening needs. The
 * review and the history of matches live in db/match-review-store.ts.
 */

/** Memory for one screening statement: a chunk of people and the list both fit, so Postgres hashes. */
export const SCREENING_WORK_MEM = '64MB';

/**
 * The session settings of a screening statement, inside its transaction:
 * - both sides of each join fit in memory, so Postgres hashes instead of sorting on disk;
 * - no merge joins: Postgres cannot estimate how many name entries the unnested `match_names` give,
 *   and then sorts the lists' entries once per tier instead of hashing the chunk's people
 *   (docs/benchmarks.md, tolerant matching).
 */
export async function applyScreeningSettings(tx: Db): Promise<void> {
  await execute(tx, `SET LOCAL work_mem = '${SCREENING_WORK_MEM}'`);
  await execute(tx, 'SET LOCAL enable_mergejoin = off');
}

/** Lower bound for the first chunk: every uuid sorts after it. */
export const FIRST_EMPLOYEE_ID = '00000000-0000-0000-0000-000000000000';

export interface ChunkCounts {
  /** New matches, and resolved ones that match again. */
  opened: number;
  /** Every match found in the chunk (opened included). */
  matched: number;
  /** Open matches of the chunk's people that no longer match. */
  resolved: number;
}

export interface Chunk {
  after: string;
  /** Inclusive upper bound; null for the last chunk. */
  upto: string | null;
  /** At most PERSON_MODE_MAX people: screened through the lists' indexes (MatchMode `person`). */
  few?: boolean;
}

/**
 * Up to this many people, a chunk finds its candidate records through the lists' indexes; more, and
 * unnesting every list's names once and hash-joining costs less (docs/benchmarks.md).
 */
export const PERSON_MODE_MAX = 1000;

/**
 * The next chunk of `size` active employees in scope after `after` (the last one up to 1.5 × `size`),
 * or null when done.
 */
export async function nextChunk(
  db: Db,
  scope: ScreeningScope,
  after: string,
  size: number,
): Promise<Chunk | null> {
  const sql = scopeSql(scope);
  const bind = { ...sql.bind, after };
  const where = `e.status = 'active' AND e.id > $after::uuid AND ${sql.employees}`;
  // Every chunk hashes the lists' names anew: a remainder under half a chunk joins this one
  // instead of paying for that alone.
  const bounds = await query<{ id: string }>(
    db,
    `SELECT e.id FROM employees e WHERE ${where} ORDER BY e.id OFFSET $skip LIMIT $take`,
    { ...bind, skip: size - 1, take: Math.floor(size / 2) + 1 },
  );
  // bounds[0] ends a full chunk; the rest are the people after it, up to half a chunk of them.
  const full = bounds[0];
  if (full && (bounds.length === 1 || bounds.length > Math.floor(size / 2)))
    return { after, upto: full.id, few: size <= PERSON_MODE_MAX };
  if (full) return { after, upto: null, few: size + bounds.length - 1 <= PERSON_MODE_MAX };
  const rest = await queryOne<{ n: number }>(
    db,
    `SELECT count(*)::int AS n FROM (SELECT 1 FROM employees e WHERE ${where} LIMIT $cap) r`,
    { ...bind, cap: PERSON_MODE_MAX + 1 },
  );
  const n = rest?.n ?? 0;
  return n > 0 ? { after, upto: null, few: n <= PERSON_MODE_MAX } : null;
}

async function runScreen(
  sequelize: Sequelize,
  sql: string,
  bind: Record<string, unknown>,
  afterScreen?: (tx: Db) => Promise<void>,
): Promise<ChunkCounts> {
  return inTransaction(sequelize, async (tx) => {
    await applyScreeningSettings(tx);
    const row = await queryOne<ChunkCounts>(tx, sql, bind);
    await afterScreen?.(tx);
    return row ?? { opened: 0, matched: 0, resolved: 0 };
  });
}

/**
 * Screens one chunk of the scope's employees against every LEIE row in scope. With `markScreened`
 * (a whole list is loaded and the scope compares its people against all of it), the chunk's people
 * are stamped screened (db/last-screened-store.ts) in the same transaction.
 */
export async function screenChunk(
  sequelize: Sequelize,
  scope: ScreeningScope,
  chunk: Chunk,
  sources?: readonly string[],
  options: { markScreened?: boolean } = {},
): Promise<ChunkCounts> {
  const sql = scopeSql(scope, sources);
  // A person's change, a small import or organization screens a few people: their candidate records
  // are found through the lists' indexes instead of unnesting every list's names.
  const mode = scope.kind === 'employees' || chunk.few ? 'person' : 'hash';
  const mark =
    options.markScreened && sql.wholeList ? (tx: Db) => markPeopleScreened(tx, sql, chunk) : undefined;
  return runScreen(
    sequelize,
    screenSql(sql, mode),
    { ...sql.bind, after: chunk.after, upto: chunk.upto },
    mark,
  );
}

/** Up to this many added keys, an OIG import probes the roster's indexes instead of scanning it. */
export const PROBE_MAX_ADDED_KEYS = 5000;

/**
 * An OIG import's added keys against every active employee, in one statement driven by the keys;
 * null when the import added too many keys for probing (screen it chunk by chunk instead).
 */
export async function screenAddedExclusions(
  sequelize: Sequelize,
  scope: Extract<ScreeningScope, { kind: 'oig-import' | 'source-import' }>,
  sources?: readonly string[],
): Promise<ChunkCounts | null> {
  const changes = scope.kind === 'oig-import' ? 'oig_exclusion_changes' : 'exclusion_source_changes';
  const count = await queryOne<{ n: number }>(
    sequelize,
    `SELECT count(*)::int AS n FROM ${changes} WHERE check_id = $checkId AND change = 'added'`,
    { checkId: scope.checkId },
  );
  if ((count?.n ?? 0) > PROBE_MAX_ADDED_KEYS) return null;
  const sql = scopeSql(scope, sources);
  return runScreen(sequelize, screenSql(sql, 'probe'), sql.bind);
}

/**
 * Resolves the scope's open, under-review and confirmed matches whose record left its list
 * (`removed_from_list`), was reinstated (`reinstated`, the LEIE) or ended (`ended`, the other
 * lists). Dismissed matches stay dismissed. Does nothing for a list that is empty (never loaded),
 * so a missing list cannot resolve every match.
 */
export async function resolveLapsedMatches(
  db: Db,
  scope: ScreeningScope,
  sources?: readonly string[],
): Promise<number> {
  const sql = scopeSql(scope, sources);
  const leie = await execute(
    db,
    `UPDATE exclusion_matches AS target
     SET status = 'resolved',
         resolution = CASE WHEN x.exclusion_key IS NULL THEN 'removed_from_list' ELSE 'reinstated' END,
         updated_at = now()
     FROM exclusion_matches m
     LEFT JOIN oig_employees_exclusion x ON x.exclusion_key = m.exclusion_key
     WHERE target.id = m.id
       AND m.status IN ('open', 'under_review', 'confirmed')
       AND (x.exclusion_key IS NULL OR x.reindate IS NOT NULL)
       AND EXISTS (SELECT 1 FROM oig_employees_exclusion)
       AND m.source = 'leie'
       AND ${sql.matches}
     RETURNING target.id`,
    sql.bind,
  );
  const others = await execute(
    db,
    `UPDATE exclusion_matches AS target
     SET status = 'resolved',
         resolution = CASE WHEN r.exclusion_key IS NULL THEN 'removed_from_list' ELSE 'ended' END,
         updated_at = now()
     FROM exclusion_matches m
     LEFT JOIN exclusion_source_records r ON r.source = m.source AND r.exclusion_key = m.exclusion_key
     WHERE target.id = m.id
       AND m.source <> 'leie'
       AND m.status IN ('open', 'under_review', 'confirmed')
       AND (r.exclusion_key IS NULL OR r.ends_on < current_date)
       AND EXISTS (SELECT 1 FROM exclusion_source_records l WHERE l.source = m.source)
       AND ${sql.matches}
     RETURNING target.id`,
    sql.bind,
  );
  return leie + others;
}

/** Organizations (in scope, not being deleted) with open matches their admins were not told about. */
export async function organizationsToAlert(db: Db, scope: ScreeningScope): Promise<string[]> {
  const orgId = scopeOrganizationId(scope);
  const rows = await query<{ organization_id: string }>(
    db,
    `SELECT o.id AS organization_id FROM organizations o
     WHERE o.status NOT IN ('deprovisioning', 'deleted') AND ($orgId::uuid IS NULL OR o.id = $orgId::uuid)
       AND EXISTS (SELECT 1 FROM exclusion_matches m
                   WHERE m.organization_id = o.id AND m.status = 'open' AND m.alerted_at IS NULL)
     ORDER BY o.id`,
    { orgId },
  );
  return rows.map((row) => row.organization_id);
}

export interface PendingAlert {
  organizationName: string;
  subdomain: string;
  matchIds: string[];
  /** Owners' and admins' addresses. */
  recipients: string[];
}

export async function pendingAlert(db: Db, organizationId: string): Promise<PendingAlert | null> {
  const organization = await queryOne<{ name: string; subdomain: string }>(
    db,
    'SELECT name, subdomain FROM organizations WHERE id = $organizationId',
    { organizationId },
  );
  if (!organization) return null;
  const matches = await query<{ id: string }>(
    db,
    `SELECT id FROM exclusion_matches
     WHERE organization_id = $organizationId AND status = 'open' AND alerted_at IS NULL ORDER BY id`,
    { organizationId },
  );
  const recipients = await query<{ email: string }>(
    db,
    `SELECT u.email FROM memberships ms JOIN users u ON u.id = ms.user_id
     WHERE ms.organization_id = $organizationId AND ms.role IN ('owner', 'admin') ORDER BY u.email`,
    { organizationId },
  );
  return {
    organizationName: organization.name,
    subdomain: organization.subdomain,
    matchIds: matches.map((row) => row.id),
    recipients: recipients.map((row) => row.email),
  };
}

export function markAlerted(db: Db, matchIds: string[]): Promise<number> {
  return execute(
    db,
    `UPDATE exclusion_matches SET alerted_at = now(), updated_at = now()
     WHERE id = ANY($matchIds::uuid[]) AND alerted_at IS NULL RETURNING id`,
    { matchIds },
  );
}

/** What a match shows of why it matched (built by db/screening-match-sql.ts). */
export interface MatchExplanation {
  /** The person's and the record's names that were compared (normalized, `FIRST LAST`). */
  personName?: string;
  personNameIsPrimary?: boolean;
  recordName?: string;
  recordNameIsPrimary?: boolean;
  agreed: AgreedField[];
}

export interface ExclusionMatchRow {
  id: string;
  organization_id: string;
  employee_id: string;
  source: string;
  exclusion_key: string;
  reason: MatchReason;
  /** numeric(3,2), as Postgres's text. */
  score: string;
  /** Which names and fields agreed (docs/spec.md §9); null on matches found before migration 1700. */
  explanation: MatchExplanation | null;
  status: MatchStatus;
  resolution: string | null;
  first_detected_at: Date;
  last_seen_at: Date;
  reviewed_by: string | null;
  reviewed_at: Date | null;
  note: string | null;
  alerted_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** A match as admins review it: the person (`e_…`) and the LEIE row as last imported (`x`, or null). */
export type ExclusionMatchView = Omit<ExclusionMatchRow, 'created_at' | 'updated_at'> & {
  /** first_detected_at as Postgres's text, so a cursor keeps its microseconds. */
  cursor_at: string;
  e_kind: 'employee' | 'caregiver';
  e_external_id: string | null;
  e_first_name: string;
  e_middle_name: string | null;
  e_last_name: string;
  e_date_of_birth: string | null;
  e_npi: string | null;
  e_status: 'active' | 'inactive';
  x: Record<string, string | null> | null;
  /** The record of a non-LEIE list as last imported (or null). */
  r: SourceRecordJson | null;
};

const SELECT_MATCH_VIEWS = `
SELECT m.id, m.organization_id, m.employee_id, m.source, m.exclusion_key, m.reason, m.score, m.explanation,
  m.status, m.resolution,
  m.first_detected_at, m.last_seen_at, m.reviewed_by, m.reviewed_at, m.note, m.alerted_at,
  m.first_detected_at::text AS cursor_at,
  e.kind AS e_kind, e.external_id AS e_external_id, e.first_name AS e_first_name,
  e.middle_name AS e_middle_name, e.last_name AS e_last_name, e.date_of_birth AS e_date_of_birth,
  e.npi AS e_npi, e.status AS e_status,
  CASE WHEN x.id IS NULL THEN NULL ELSE json_build_object(
    'exclusionKey', x.exclusion_key, 'lastname', x.lastname, 'firstname', x.firstname, 'midname', x.midname,
    'busname', x.busname, 'general', x.general, 'specialty', x.specialty, 'upin', x.upin, 'npi', x.npi,
    'dob', x.dob, 'address', x.address, 'city', x.city, 'state', x.state, 'zip', x.zip,
    'excltype', x.excltype, 'excldate', x.excldate, 'reindate', x.reindate,
    'waiverdate', x.waiverdate, 'wvrstate', x.wvrstate) END AS x,
  ${SOURCE_RECORD_JSON} AS r
FROM exclusion_matches m
JOIN employees e ON e.id = m.employee_id
LEFT JOIN oig_employees_exclusion x ON m.source = 'leie' AND x.exclusion_key = m.exclusion_key
LEFT JOIN exclusion_source_records r ON r.source = m.source AND r.exclusion_key = m.exclusion_key`;

/** One page of the organization's matches, newest first, before the (first_detected_at, id) of `before`. */
export function listExclusionMatches(
  db: Db,
  organizationId: string,
  options: { status?: MatchStatus; limit: number; before?: [at: string, id: string] },
): Promise<ExclusionMatchView[]> {
  const { status, before } = options;
  return query<ExclusionMatchView>(
    db,
    `${SELECT_MATCH_VIEWS}
     WHERE m.organization_id = $orgId
       ${status ? 'AND m.status = $status' : ''}
       ${before ? 'AND (m.first_detected_at, m.id) < (CAST($beforeAt AS timestamptz), CAST($beforeId AS uuid))' : ''}
     ORDER BY m.first_detected_at DESC, m.id DESC
     LIMIT $limit`,
    {
      orgId: organizationId,
      status: status ?? null,
      beforeAt: before?.[0] ?? null,
      beforeId: before?.[1] ?? null,
      limit: options.limit,
    },
  );
}

export function findExclusionMatch(
  db: Db,
  organizationId: string,
  id: string,
): Promise<ExclusionMatchView | undefined> {
  return queryOne<ExclusionMatchView>(
    db,
    `${SELECT_MATCH_VIEWS} WHERE m.organization_id = $orgId AND m.id = $id`,
    { orgId: organizationId, id },
  );
}

/** The exclusion status of some of the organization's people (db/exclusion-status-sql.ts). */
export async function exclusionStatuses(
  db: Db,
  organizationId: string,
  employeeIds: string[],
): Promise<Map<string, ExclusionStatus>> {
  if (employeeIds.length === 0) return new Map();
  const rows = await query<{ id: string; exclusion_status: ExclusionStatus }>(
    db,
    `SELECT e.id, ${exclusionStatusSql('e')} AS exclusion_status
     FROM employees e WHERE e.organization_id = $organizationId AND e.id = ANY($employeeIds::uuid[])`,
    { organizationId, employeeIds },
  );
  return new Map(rows.map((row) => [row.id, row.exclusion_status]));
}
