import { EXCLUSION_SOURCE_IDS } from '../domain/exclusion-sources/source';
import type { ScreeningScope } from '../lib/workflow-contracts';

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
 *
 * Every enabled source is screened at once (docs/spec.md §8): the LEIE's rows and the generic
 * records of the other lists (exclusion_source_records) feed one candidate set, with the same tiers;
 * a match is one per (employee, source, key). Generic records match people only when they are
 * `individual` (SAM Firm/Vessel/Special Entity rows are `business`) and not ended (ends_on passed).
 */

export interface ScopeSql {
  /** Condition on `employees e` (besides status = 'active'). */
  employees: string;
  /** Condition on `oig_employees_exclusion x`. */
  exclusions: string;
  /** Condition on `exclusion_source_records r` (the non-LEIE lists). */
  records: string;
  /** Condition on `exclusion_matches m` for the lapsed-exclusion pass and alerts. */
  matches: string;
  /**
   * Whether the scope compares its people against the whole list, so an open match of theirs that
   * no longer matches can be resolved. An OIG import only compares the keys it added.
   */
  wholeList: boolean;
  bind: Record<string, unknown>;
}

/**
 * The scope's conditions; `sources` are the enabled source ids (EXCLUSION_SOURCES) — records of a
 * disabled list neither match nor resolve anything.
 */
export function scopeSql(scope: ScreeningScope, sources: readonly string[] = EXCLUSION_SOURCE_IDS): ScopeSql {
  const sql = scopeConditions(scope);
  return { ...sql, bind: { ...sql.bind, sources: [...sources] } };
}

function scopeConditions(scope: ScreeningScope): ScopeSql {
  switch (scope.kind) {
    case 'employees':
      return {
        employees: 'e.organization_id = $orgId AND e.id = ANY($employeeIds::uuid[])',
        exclusions: 'TRUE',
        records: 'TRUE',
        matches: 'm.organization_id = $orgId AND m.employee_id = ANY($employeeIds::uuid[])',
        wholeList: true,
        bind: { orgId: scope.organizationId, employeeIds: scope.employeeIds },
      };
    case 'import':
      return {
        employees: 'e.organization_id = $orgId AND e.last_import_id = $importId',
        exclusions: 'TRUE',
        records: 'TRUE',
        matches: `m.organization_id = $orgId AND m.employee_id IN
          (SELECT i.id FROM employees i WHERE i.organization_id = $orgId AND i.last_import_id = $importId)`,
        wholeList: true,
        bind: { orgId: scope.organizationId, importId: scope.importId },
      };
    case 'organization':
      return {
        employees: 'e.organization_id = $orgId',
        exclusions: 'TRUE',
        records: 'TRUE',
        matches: 'm.organization_id = $orgId',
        wholeList: true,
        bind: { orgId: scope.organizationId },
      };
    case 'oig-import':
      return {
        employees: 'TRUE',
        exclusions: `x.exclusion_key IN (SELECT c.exclusion_key FROM oig_exclusion_changes c
          WHERE c.check_id = $checkId AND c.change = 'added')`,
        records: 'FALSE',
        matches: `m.source = 'leie'`,
        wholeList: false,
        bind: { checkId: scope.checkId },
      };
    case 'source-import':
      return {
        employees: 'TRUE',
        exclusions: 'FALSE',
        records: `r.source = $sourceId AND r.exclusion_key IN (SELECT c.exclusion_key FROM exclusion_source_changes c
          WHERE c.check_id = $checkId AND c.change = 'added')`,
        matches: 'm.source = $sourceId',
        wholeList: false,
        bind: { sourceId: scope.sourceId, checkId: scope.checkId },
      };
    case 'all':
      return {
        employees: 'TRUE',
        exclusions: 'TRUE',
        records: 'TRUE',
        matches: 'TRUE',
        wholeList: true,
        bind: {},
      };
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
  SELECT 'leie'::text AS source, x.exclusion_key, x.npi, x.dob, x.last_name_norm, x.first_name_norm
  FROM oig_employees_exclusion x
  WHERE x.reindate IS NULL AND x.last_name_norm IS NOT NULL AND ${scope.exclusions}
    AND 'leie' = ANY($sources::text[])
  UNION ALL
  SELECT r.source, r.exclusion_key, coalesce(r.npi, '0000000000'), r.dob, r.last_name_norm, r.first_name_norm
  FROM exclusion_source_records r
  WHERE r.entity_kind = 'individual' AND r.last_name_norm IS NOT NULL
    AND (r.ends_on IS NULL OR r.ends_on >= current_date)
    AND r.source = ANY($sources::text[]) AND ${scope.records}
)`;
  const best = `
best AS (
  SELECT DISTINCT ON (employee_id, source, exclusion_key) employee_id, organization_id, source, exclusion_key,
    reason, score
  FROM candidates
  ORDER BY employee_id, source, exclusion_key, score DESC
)`;
  if (mode === 'probe') {
    return `${excl},
candidates AS (
  SELECT e.id AS employee_id, e.organization_id, x.source, x.exclusion_key, 'npi' AS reason, 1.00 AS score
  FROM excl x JOIN employees e ON e.npi = x.npi
  WHERE x.npi <> '0000000000' AND e.status = 'active' AND ${scope.employees}
  UNION ALL
  SELECT e.id, e.organization_id, x.source, x.exclusion_key, ${NAME_REASON}, ${NAME_SCORE}
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
  SELECT e.id AS employee_id, e.organization_id, x.source, x.exclusion_key, 'npi' AS reason, 1.00 AS score
  FROM emp e JOIN excl x ON x.npi = e.npi
  WHERE x.npi <> '0000000000'
  UNION ALL
  SELECT e.id, e.organization_id, x.source, x.exclusion_key, ${NAME_REASON}, ${NAME_SCORE}
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
  SELECT m.employee_id, m.source, m.exclusion_key, m.status
  FROM exclusion_matches m JOIN best b USING (employee_id, source, exclusion_key)
),
upserted AS (
  INSERT INTO exclusion_matches AS m (organization_id, employee_id, source, exclusion_key, reason, score)
  SELECT organization_id, employee_id, source, exclusion_key, reason, score FROM best
  ON CONFLICT (employee_id, source, exclusion_key) DO UPDATE SET
    reason = excluded.reason,
    score = excluded.score,
    last_seen_at = now(),
    updated_at = now(),
    status = CASE WHEN m.status = 'resolved' THEN 'open' ELSE m.status END,
    resolution = CASE WHEN m.status = 'resolved' THEN NULL ELSE m.resolution END,
    alerted_at = CASE WHEN m.status = 'resolved' THEN NULL ELSE m.alerted_at END
  RETURNING m.employee_id, m.source, m.exclusion_key
),
stale AS (${
    resolveStale
      ? `
  UPDATE exclusion_matches m
  SET status = 'resolved', resolution = 'no_longer_matches', updated_at = now()
  FROM emp e
  WHERE m.employee_id = e.id AND m.status = 'open' AND m.source = ANY($sources::text[])
    AND NOT EXISTS (SELECT 1 FROM best b WHERE b.employee_id = m.employee_id AND b.source = m.source
                    AND b.exclusion_key = m.exclusion_key)
  RETURNING m.id`
      : 'SELECT NULL::uuid AS id WHERE FALSE'
  }
)
SELECT
  (SELECT count(*) FROM upserted u LEFT JOIN prior p USING (employee_id, source, exclusion_key)
    WHERE p.status IS NULL OR p.status = 'resolved')::int AS opened,
  (SELECT count(*) FROM upserted)::int AS matched,
  (SELECT count(*) FROM stale)::int AS resolved`;
}
