import { EXCLUSION_SOURCE_IDS } from '../domain/exclusion-sources/source';
import type { ScreeningScope } from '../lib/workflow-contracts';

/**
 * The statement that screens people against the exclusion lists, as SQL text for
 * db/screening-store.ts to run (docs/spec.md §9, which replaces the tiers of §4.5). Every statement
 * works on a whole set of people (a chunk of employee ids) against the lists in Postgres; nothing
 * loops over people in Node.
 *
 * Names: a person's primary name and other names, a record's primary name and aliases, each as
 * `match_names` entries computed once when the row is written (ale_match_names, migration 1700).
 * Tiers, best first (domain/match-reasons.ts): `npi` 1.00 (the LEIE's 0000000000 is none);
 * `name_dob` 0.95 (primary names, same DOB); `alias_dob` 0.90 (any names, same DOB);
 * `nickname_dob` 0.85 (last equal, first names related in name_nicknames, same DOB); `fuzzy_dob`
 * 0.80 (same DOB and last names of ≥ 5 letters one edit apart with first equal, or first and last
 * swapped; or names equal and DOB day/month swapped); `name` 0.60 (names equal, a DOB missing on a
 * side, middle initials agreeing where both exist). Only active employees are screened;
 * business-only rows, reinstated LEIE rows and ended records never match people.
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
 * How a statement finds candidates (every mode applies the same tiers to the sets it builds):
 * - `hash` — a chunk of employees (`emp`, after < id <= upto) against every list record in scope:
 *   both sides' name entries are unnested and hash-joined on the keys each tier needs.
 * - `person` — a few employees (a person's change): the records are first narrowed through the
 *   lists' indexes (GIN on the name keys, b-tree on DOB and NPI) to those sharing a name key, a DOB
 *   (or its day/month swap) or an NPI with one of them — every tier needs one of those.
 * - `probe` — a few list records (an import's added keys) against every active employee: the people
 *   are narrowed the same way through the roster's indexes.
 */
export type MatchMode = 'hash' | 'person' | 'probe';

/** `LAST|FIRST|M|K` entries (ale_match_names) of a set's rows, as columns. */
function entries(columns: string, from: string): string {
  return `SELECT ${columns}, split_part(k, '|', 1) AS last, split_part(k, '|', 2) AS first,
    split_part(k, '|', 3) AS mi, split_part(k, '|', 4) = 'P' AS prim
  FROM ${from} CROSS JOIN LATERAL unnest(s.match_names) AS k`;
}

/** The keys, DOBs (with their day/month swaps) and NPIs of a set, to narrow the other side by index. */
function probeKeys(name: string, from: string, dob: string, npi: string): string {
  return `
${name} AS MATERIALIZED (
  SELECT ARRAY(SELECT DISTINCT k FROM ${from} s CROSS JOIN LATERAL unnest(ale_name_keys(s.match_names)) AS k) AS keys,
    ARRAY(SELECT DISTINCT d FROM ${from} s CROSS JOIN LATERAL unnest(ARRAY[s.${dob}, ale_day_month_swapped(s.${dob})]) AS d
          WHERE d IS NOT NULL) AS dobs,
    ARRAY(SELECT DISTINCT s.${npi} FROM ${from} s WHERE s.${npi} IS NOT NULL AND s.${npi} <> '0000000000') AS npis
)`;
}

const narrowed = (keys: string, alias: string, dob: string, npi: string) => `(
    ale_name_keys(${alias}.match_names) && (SELECT keys FROM ${keys})
    OR ${alias}.${dob} = ANY((SELECT dobs FROM ${keys})::date[])
    OR ${alias}.${npi} = ANY((SELECT npis FROM ${keys})::text[]))`;

/** What the match shows of why (domain/match-reasons.ts): the names compared and what agreed. */
const explain = (agreed: string) => `jsonb_build_object(
    'personName', en.first || ' ' || en.last, 'personNameIsPrimary', en.prim,
    'recordName', xn.first || ' ' || xn.last, 'recordNameIsPrimary', xn.prim,
    'agreed', to_jsonb(array_remove(ARRAY[${agreed}]::text[], NULL)))`;

const DOB_AGREED = `CASE WHEN en.dob = xn.dob THEN 'date_of_birth' END`;
const MIDDLE_AGREED = `CASE WHEN en.mi <> '' AND en.mi = xn.mi THEN 'middle_initial' END`;

/**
 * The tiers of docs/spec.md §9 over `emp`/`en` (people and their name entries) and `excl`/`xn` (list
 * records and theirs). Every name tier but `name` needs the same DOB (or, for the swap, the same
 * with day and month exchanged), so two known, different DOBs never match by name; `name` needs a
 * DOB missing on a side and middle initials that agree where both exist.
 */
const TIERS = `
candidates AS (
  SELECT e.id AS employee_id, e.organization_id, x.source, x.exclusion_key, 'npi' AS reason, 1.00 AS score,
    jsonb_build_object('agreed', jsonb_build_array('npi')) AS explanation
  FROM emp e JOIN excl x ON x.npi = e.npi
  WHERE x.npi <> '0000000000'
  UNION ALL
  SELECT en.id, en.organization_id, xn.source, xn.exclusion_key,
    CASE WHEN en.dob IS NULL OR xn.dob IS NULL THEN 'name' WHEN en.prim AND xn.prim THEN 'name_dob' ELSE 'alias_dob' END,
    CASE WHEN en.dob IS NULL OR xn.dob IS NULL THEN 0.60 WHEN en.prim AND xn.prim THEN 0.95 ELSE 0.90 END,
    ${explain(`'first_name', 'last_name', ${DOB_AGREED}, ${MIDDLE_AGREED}`)}
  FROM en JOIN xn ON xn.last = en.last AND xn.first = en.first
  WHERE en.dob = xn.dob OR ((en.dob IS NULL OR xn.dob IS NULL) AND (en.mi = '' OR xn.mi = '' OR en.mi = xn.mi))
  UNION ALL
  SELECT en.id, en.organization_id, xn.source, xn.exclusion_key, 'nickname_dob', 0.85,
    ${explain(`'first_name_nickname', 'last_name', 'date_of_birth', ${MIDDLE_AGREED}`)}
  FROM en JOIN xd AS xn ON xn.dob = en.dob AND xn.last = en.last
  WHERE xn.first <> en.first
    AND EXISTS (SELECT 1 FROM name_nicknames n WHERE n.name = en.first AND n.nickname = xn.first)
  UNION ALL
  SELECT en.id, en.organization_id, xn.source, xn.exclusion_key, 'fuzzy_dob', 0.80,
    ${explain(`'first_name', 'last_name_one_edit', 'date_of_birth', ${MIDDLE_AGREED}`)}
  FROM en JOIN xd AS xn ON xn.dob = en.dob AND xn.first = en.first
  WHERE xn.last <> en.last AND char_length(en.last) >= 5 AND char_length(xn.last) >= 5
    AND ale_one_edit(en.last, xn.last)
  UNION ALL
  SELECT en.id, en.organization_id, xn.source, xn.exclusion_key, 'fuzzy_dob', 0.80,
    ${explain(`'names_swapped', 'date_of_birth'`)}
  FROM en JOIN xd AS xn ON xn.dob = en.dob AND xn.first = en.last AND xn.last = en.first
  WHERE en.first <> en.last
  UNION ALL
  SELECT en.id, en.organization_id, xn.source, xn.exclusion_key, 'fuzzy_dob', 0.80,
    ${explain(`'first_name', 'last_name', 'date_of_birth_day_month_swapped', ${MIDDLE_AGREED}`)}
  FROM en JOIN xd AS xn ON xn.dob = ale_day_month_swapped(en.dob) AND xn.last = en.last AND xn.first = en.first
),
best AS (
  SELECT DISTINCT ON (employee_id, source, exclusion_key) employee_id, organization_id, source, exclusion_key,
    reason, score, explanation
  FROM candidates
  ORDER BY employee_id, source, exclusion_key, score DESC, explanation::text
)`;

/** CTEs ending in `best`: one row per (employee, source, exclusion_key) with its best reason. */
export function candidatesSql(scope: ScopeSql, mode: MatchMode): string {
  const emp = (extra: string) => `
emp AS MATERIALIZED (
  SELECT e.id, e.organization_id, e.npi, e.date_of_birth, e.match_names
  FROM employees e
  WHERE e.status = 'active' AND ${scope.employees} AND ${extra}
)`;
  const excl = (leie: string, records: string) => `
excl AS MATERIALIZED (
  SELECT 'leie'::text AS source, x.exclusion_key, x.npi, x.dob, x.match_names
  FROM oig_employees_exclusion x
  WHERE x.reindate IS NULL AND x.last_name_norm IS NOT NULL AND ${scope.exclusions}
    AND 'leie' = ANY($sources::text[]) AND ${leie}
  UNION ALL
  SELECT r.source, r.exclusion_key, coalesce(r.npi, '0000000000'), r.dob, r.match_names
  FROM exclusion_source_records r
  WHERE r.entity_kind = 'individual' AND r.last_name_norm IS NOT NULL
    AND (r.ends_on IS NULL OR r.ends_on >= current_date)
    AND r.source = ANY($sources::text[]) AND ${scope.records} AND ${records}
)`;
  const chunk = `e.id > $after::uuid AND ($upto::uuid IS NULL OR e.id <= $upto::uuid)`;
  const sets =
    mode === 'probe'
      ? `${excl('TRUE', 'TRUE')},${probeKeys('excl_keys', 'excl', 'dob', 'npi')},${emp(narrowed('excl_keys', 'e', 'date_of_birth', 'npi'))}`
      : mode === 'person'
        ? `${emp(chunk)},${probeKeys('emp_keys', 'emp', 'date_of_birth', 'npi')},${excl(
            narrowed('emp_keys', 'x', 'dob', 'npi'),
            narrowed('emp_keys', 'r', 'dob', 'npi'),
          )}`
        : `${emp(chunk)},${excl('TRUE', 'TRUE')}`;
  return `${sets},
en AS MATERIALIZED (
  ${entries('s.id, s.organization_id, s.date_of_birth AS dob', 'emp s')}
),
xn AS MATERIALIZED (
  ${entries('s.source, s.exclusion_key, s.dob', 'excl s')}
),
-- The entries of records with a DOB: all the DOB tiers need (most list records have none).
xd AS MATERIALIZED (SELECT * FROM xn WHERE dob IS NOT NULL),${TIERS}`;
}

/**
 * Screens one set in one statement:
 * - upserts a match per candidate: new → open; already known → last_seen_at (and tier) refreshed;
 *   resolved → reopened; dismissed and confirmed keep the reviewer's decision;
 * - when the scope compares its people against the whole list, resolves the chunk's open matches that
 *   no longer match (`no_longer_matches`, e.g. a corrected date of birth) — unless a reviewer moved
 *   the match to `open` (a reopen: reviewed_by is set only by reviews), which stays open until a
 *   reviewer closes it (docs/spec.md §10: decisions survive rescreens).
 */
export function screenSql(scope: ScopeSql, mode: MatchMode): string {
  const resolveStale = scope.wholeList && mode !== 'probe';
  return `
WITH ${candidatesSql(scope, mode)},
prior AS (
  SELECT m.employee_id, m.source, m.exclusion_key, m.status
  FROM exclusion_matches m JOIN best b USING (employee_id, source, exclusion_key)
),
upserted AS (
  INSERT INTO exclusion_matches AS m (organization_id, employee_id, source, exclusion_key, reason, score, explanation)
  SELECT organization_id, employee_id, source, exclusion_key, reason, score, explanation FROM best
  ON CONFLICT (employee_id, source, exclusion_key) DO UPDATE SET
    reason = excluded.reason,
    score = excluded.score,
    explanation = excluded.explanation,
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
  WHERE m.employee_id = e.id AND m.status = 'open' AND m.reviewed_by IS NULL AND m.source = ANY($sources::text[])
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
