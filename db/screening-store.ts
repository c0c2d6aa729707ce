import type { Sequelize } from 'sequelize';
import type { ScreeningScope } from '../lib/workflow-contracts';
import { type Db, execute, inTransaction, query, queryOne } from './sql';

/**
 * Exclusion screening and its matches: every statement on exclusion_matches — the set-based
 * screening (its SQL text built in db/screening-match-sql.ts), the alerts, and the API's list and
 * review — and the reads of employees and the LEIE that screening needs.
 */

/**
 * The statement that screens people against the LEIE, as SQL text for db/screening-store.ts to run
 * (docs/spec.md §4.5). Every statement works on a whole set of people (a chunk of employee ids)
 * against the LEIE in Postgres; nothing loops over people in Node.
 *
 * Tiers: `npi` 1.00 — same NPI (the LEIE's 0000000000 means none); `name_dob` 0.95 — a shared
 * last-name key and first name (ale_name_match_keys) and the same date of birth; `name` 0.60 — the
 * same names where either side lacks a date of birth. Two known, different dates of birth never match
 * by name. First/last names swapped are not matched (see README). Only active employees are screened;
 * business-only LEIE rows (no last name) and reinstated rows (REINDATE set) never match people.
 */

export interface ScopeSql {
  /** Condition on `employees e` (besides status = 'active'). */
  employees: string;
  /** Condition on `oig_employees_exclusion x`. */
  exclusions: string;
  /** Condition on `exclusion_matches m` for the lapsed-exclusion pass and alerts. */
  matches: string;
  /**
   * Whether the scope compares its people against the whole list, so an open match of theirs that
   * no longer matches can be resolved. An OIG import only compares the keys it added.
   */
  wholeList: boolean;
  bind: Record<string, unknown>;
}

export function scopeSql(scope: ScreeningScope): ScopeSql {
  switch (scope.kind) {
    case 'employees':
      return {
        employees: 'e.organization_id = $orgId AND e.id = ANY($employeeIds::uuid[])',
        exclusions: 'TRUE',
        matches: 'm.organization_id = $orgId AND m.employee_id = ANY($employeeIds::uuid[])',
        wholeList: true,
        bind: { orgId: scope.organizationId, employeeIds: scope.employeeIds },
      };
    case 'import':
      return {
        employees: 'e.organization_id = $orgId AND e.last_import_id = $importId',
        exclusions: 'TRUE',
        matches: `m.organization_id = $orgId AND m.employee_id IN
          (SELECT i.id FROM employees i WHERE i.organization_id = $orgId AND i.last_import_id = $importId)`,
        wholeList: true,
        bind: { orgId: scope.organizationId, importId: scope.importId },
      };
    case 'organization':
      return {
        employees: 'e.organization_id = $orgId',
        exclusions: 'TRUE',
        matches: 'm.organization_id = $orgId',
        wholeList: true,
        bind: { orgId: scope.organizationId },
      };
    case 'oig-import':
      return {
        employees: 'TRUE',
        exclusions: `x.exclusion_key IN (SELECT c.exclusion_key FROM oig_exclusion_changes c
          WHERE c.check_id = $checkId AND c.change = 'added')`,
        matches: 'TRUE',
        wholeList: false,
        bind: { checkId: scope.checkId },
      };
    case 'all':
      return { employees: 'TRUE', exclusions: 'TRUE', matches: 'TRUE', wholeList: true, bind: {} };
  }
}

/** The organization a scope belongs to, or null for list-wide scopes. */
export function scopeOrganizationId(scope: ScreeningScope): string | null {
  return 'organizationId' in scope ? scope.organizationId : null;
}

/**
 * How a statement finds candidates:
 * - `hash` — a chunk of employees (`emp`, after < id <= upto) against every LEIE row in scope: both
 *   sides' name keys are unnested and hash-joined; the NPI join is an equality join.
 * - `probe` — a few LEIE rows (an OIG import's added keys) against every active employee: each row
 *   probes the GIN index on the employees' name keys and the b-tree on their NPI.
 */
export type MatchMode = 'hash' | 'probe';

const DOB_RULE = 'e.date_of_birth IS NULL OR x.dob IS NULL OR e.date_of_birth = x.dob';
const NAME_REASON = `CASE WHEN e.date_of_birth IS NULL OR x.dob IS NULL THEN 'name' ELSE 'name_dob' END`;
const NAME_SCORE = 'CASE WHEN e.date_of_birth IS NULL OR x.dob IS NULL THEN 0.60 ELSE 0.95 END';

/** CTEs ending in `best`: one row per (employee, exclusion_key) with the best tier. */
export function candidatesSql(scope: ScopeSql, mode: MatchMode): string {
  const excl = `
excl AS MATERIALIZED (
  SELECT x.exclusion_key, x.npi, x.dob, x.last_name_norm, x.first_name_norm
  FROM oig_employees_exclusion x
  WHERE x.reindate IS NULL AND x.last_name_norm IS NOT NULL AND ${scope.exclusions}
)`;
  const best = `
best AS (
  SELECT DISTINCT ON (employee_id, exclusion_key) employee_id, organization_id, exclusion_key, reason, score
  FROM candidates
  ORDER BY employee_id, exclusion_key, score DESC
)`;
  if (mode === 'probe') {
    return `${excl},
candidates AS (
  SELECT e.id AS employee_id, e.organization_id, x.exclusion_key, 'npi' AS reason, 1.00 AS score
  FROM excl x JOIN employees e ON e.npi = x.npi
  WHERE x.npi <> '0000000000' AND e.status = 'active' AND ${scope.employees}
  UNION ALL
  SELECT e.id, e.organization_id, x.exclusion_key, ${NAME_REASON}, ${NAME_SCORE}
  FROM excl x JOIN employees e
    ON ale_name_match_keys(e.last_name_norm, e.first_name_norm)
       && ale_name_match_keys(x.last_name_norm, x.first_name_norm)
  WHERE e.status = 'active' AND ${scope.employees} AND (${DOB_RULE})
),${best}`;
  }
  return `
emp AS MATERIALIZED (
  SELECT e.id, e.organization_id, e.npi, e.date_of_birth, e.last_name_norm, e.first_name_norm
  FROM employees e
  WHERE e.status = 'active' AND e.id > $after::uuid AND ($upto::uuid IS NULL OR e.id <= $upto::uuid)
    AND ${scope.employees}
),${excl},
candidates AS (
  SELECT e.id AS employee_id, e.organization_id, x.exclusion_key, 'npi' AS reason, 1.00 AS score
  FROM emp e JOIN excl x ON x.npi = e.npi
  WHERE x.npi <> '0000000000'
  UNION ALL
  SELECT e.id, e.organization_id, x.exclusion_key, ${NAME_REASON}, ${NAME_SCORE}
  FROM (SELECT emp.*, unnest(ale_name_match_keys(emp.last_name_norm, emp.first_name_norm)) AS name_key
        FROM emp) e
  JOIN (SELECT excl.*, unnest(ale_name_match_keys(excl.last_name_norm, excl.first_name_norm)) AS name_key
        FROM excl) x ON x.name_key = e.name_key
  WHERE ${DOB_RULE}
),${best}`;
}

/**
 * Screens one set in one statement:
 * - upserts a match per candidate: new → open; already known → last_seen_at (and tier) refreshed;
 *   resolved → reopened; dismissed and confirmed keep the reviewer's decision;
 * - when the scope compares its people against the whole list, resolves the chunk's open matches that
 *   no longer match (`no_longer_matches`, e.g. a corrected date of birth).
 */
export function screenSql(scope: ScopeSql, mode: MatchMode): string {
  const resolveStale = scope.wholeList && mode === 'hash';
  return `
WITH ${candidatesSql(scope, mode)},
prior AS (
  SELECT m.employee_id, m.exclusion_key, m.status
  FROM exclusion_matches m JOIN best b USING (employee_id, exclusion_key)
),
upserted AS (
  INSERT INTO exclusion_matches AS m (organization_id, employee_id, exclusion_key, reason, score)
  SELECT organization_id, employee_id, exclusion_key, reason, score FROM best
  ON CONFLICT (employee_id, exclusion_key) DO UPDATE SET
    reason = excluded.reason,
    score = excluded.score,
    last_seen_at = now(),
    updated_at = now(),
    status = CASE WHEN m.status = 'resolved' THEN 'open' ELSE m.status END,
    resolution = CASE WHEN m.status = 'resolved' THEN NULL ELSE m.resolution END,
    alerted_at = CASE WHEN m.status = 'resolved' THEN NULL ELSE m.alerted_at END
  RETURNING m.employee_id, m.exclusion_key
),
stale AS (${
    resolveStale
      ? `
  UPDATE exclusion_matches m
  SET status = 'resolved', resolution = 'no_longer_matches', updated_at = now()
  FROM emp e
  WHERE m.employee_id = e.id AND m.status = 'open'
    AND NOT EXISTS (SELECT 1 FROM best b WHERE b.employee_id = m.employee_id AND b.exclusion_key = m.exclusion_key)
  RETURNING m.id`
      : 'SELECT NULL::uuid AS id WHERE FALSE'
  }
)
SELECT
  (SELECT count(*) FROM upserted u LEFT JOIN prior p USING (employee_id, exclusion_key)
    WHERE p.status IS NULL OR p.status = 'resolved')::int AS opened,
  (SELECT count(*) FROM upserted)::int AS matched,
  (SELECT count(*) FROM stale)::int AS resolved`;
}

/** Memory for one screening statement: a chunk of people and the list both fit, so Postgres hashes. */
export const SCREENING_WORK_MEM = '64MB';

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
}

/** The next chunk of at most `size` active employees in scope after `after`, or null when done. */
export async function nextChunk(
  db: Db,
  scope: ScreeningScope,
  after: string,
  size: number,
): Promise<Chunk | null> {
  const sql = scopeSql(scope);
  const bind = { ...sql.bind, after };
  const where = `e.status = 'active' AND e.id > $after::uuid AND ${sql.employees}`;
  const bound = await queryOne<{ id: string }>(
    db,
    `SELECT e.id FROM employees e WHERE ${where} ORDER BY e.id OFFSET $skip LIMIT 1`,
    { ...bind, skip: size - 1 },
  );
  if (bound) return { after, upto: bound.id };
  const rest = await query(db, `SELECT 1 FROM employees e WHERE ${where} LIMIT 1`, bind);
  return rest.length > 0 ? { after, upto: null } : null;
}

async function runScreen(
  sequelize: Sequelize,
  sql: string,
  bind: Record<string, unknown>,
): Promise<ChunkCounts> {
  return inTransaction(sequelize, async (tx) => {
    // Both sides of the join fit in memory, so Postgres hashes instead of sorting on disk.
    await execute(tx, `SET LOCAL work_mem = '${SCREENING_WORK_MEM}'`);
    const row = await queryOne<ChunkCounts>(tx, sql, bind);
    return row ?? { opened: 0, matched: 0, resolved: 0 };
  });
}

/** Screens one chunk of the scope's employees against every LEIE row in scope. */
export async function screenChunk(
  sequelize: Sequelize,
  scope: ScreeningScope,
  chunk: Chunk,
): Promise<ChunkCounts> {
  const sql = scopeSql(scope);
  return runScreen(sequelize, screenSql(sql, 'hash'), { ...sql.bind, after: chunk.after, upto: chunk.upto });
}

/** Up to this many added keys, an OIG import probes the roster's indexes instead of scanning it. */
export const PROBE_MAX_ADDED_KEYS = 5000;

/**
 * An OIG import's added keys against every active employee, in one statement driven by the keys;
 * null when the import added too many keys for probing (screen it chunk by chunk instead).
 */
export async function screenAddedExclusions(
  sequelize: Sequelize,
  scope: Extract<ScreeningScope, { kind: 'oig-import' }>,
): Promise<ChunkCounts | null> {
  const count = await queryOne<{ n: number }>(
    sequelize,
    `SELECT count(*)::int AS n FROM oig_exclusion_changes WHERE check_id = $checkId AND change = 'added'`,
    { checkId: scope.checkId },
  );
  if ((count?.n ?? 0) > PROBE_MAX_ADDED_KEYS) return null;
  const sql = scopeSql(scope);
  return runScreen(sequelize, screenSql(sql, 'probe'), sql.bind);
}

/**
 * Resolves the scope's open and confirmed matches whose LEIE row left the list (`removed_from_list`)
 * or was reinstated (`reinstated`). Dismissed matches stay dismissed. Does nothing while the list is
 * empty (never loaded), so a missing list cannot resolve every match.
 */
export async function resolveLapsedMatches(db: Db, scope: ScreeningScope): Promise<number> {
  const sql = scopeSql(scope);
  return execute(
    db,
    `UPDATE exclusion_matches AS target
     SET status = 'resolved',
         resolution = CASE WHEN x.exclusion_key IS NULL THEN 'removed_from_list' ELSE 'reinstated' END,
         updated_at = now()
     FROM exclusion_matches m
     LEFT JOIN oig_employees_exclusion x ON x.exclusion_key = m.exclusion_key
     WHERE target.id = m.id
       AND m.status IN ('open', 'confirmed')
       AND (x.exclusion_key IS NULL OR x.reindate IS NOT NULL)
       AND EXISTS (SELECT 1 FROM oig_employees_exclusion)
       AND ${sql.matches}
     RETURNING target.id`,
    sql.bind,
  );
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

export const MATCH_STATUSES = ['open', 'confirmed', 'dismissed', 'resolved'] as const;
export type MatchStatus = (typeof MATCH_STATUSES)[number];

export interface ExclusionMatchRow {
  id: string;
  organization_id: string;
  employee_id: string;
  exclusion_key: string;
  reason: 'npi' | 'name_dob' | 'name';
  /** numeric(3,2), as Postgres's text. */
  score: string;
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
};

const SELECT_MATCH_VIEWS = `
SELECT m.id, m.organization_id, m.employee_id, m.exclusion_key, m.reason, m.score, m.status, m.resolution,
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
    'waiverdate', x.waiverdate, 'wvrstate', x.wvrstate) END AS x
FROM exclusion_matches m
JOIN employees e ON e.id = m.employee_id
LEFT JOIN oig_employees_exclusion x ON x.exclusion_key = m.exclusion_key`;

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

/** The match's status and reason, its row locked until the transaction `tx` ends. */
export function lockExclusionMatch(
  tx: Db,
  organizationId: string,
  id: string,
): Promise<Pick<ExclusionMatchRow, 'status' | 'reason'> | undefined> {
  return queryOne<Pick<ExclusionMatchRow, 'status' | 'reason'>>(
    tx,
    'SELECT status, reason FROM exclusion_matches WHERE organization_id = $orgId AND id = $id FOR UPDATE',
    { orgId: organizationId, id },
  );
}

/** Records an admin's decision on a match, with its note. */
export async function recordMatchReview(
  db: Db,
  review: { id: string; status: 'confirmed' | 'dismissed'; note: string | null; userId: string },
): Promise<void> {
  await execute(
    db,
    `UPDATE exclusion_matches
        SET status = $status, note = $note, reviewed_by = $userId, reviewed_at = now(), updated_at = now()
      WHERE id = $id`,
    review,
  );
}
