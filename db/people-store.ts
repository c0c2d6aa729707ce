import type { Sequelize } from 'sequelize';
import { ConflictError } from '../domain/errors';
import { type ExclusionStatus, exclusionStatusCondition } from './exclusion-status-sql';
import { lastScreenedAtSql } from './last-screened-store';
import { type Db, query, queryOne } from './sql';

/**
 * The people of an organization as the API reads and edits them: employees and caregivers
 * (`employees`, told apart by `kind`) and patients. Roster imports write these tables in batches
 * through db/people-import-store.ts; exclusion screening reads them in db/screening-store.ts.
 */

export interface EmployeeRow {
  id: string;
  organization_id: string;
  kind: 'employee' | 'caregiver';
  external_id: string | null;
  first_name: string;
  middle_name: string | null;
  last_name: string;
  date_of_birth: string | null;
  npi: string | null;
  email: string | null;
  phone: string | null;
  title: string | null;
  hire_date: string | null;
  /** Other names (maiden, former, AKA) as given (docs/spec.md §9). */
  other_names: string[];
  status: 'active' | 'inactive';
  first_name_norm: string;
  last_name_norm: string;
  full_name_norm: string;
  last_import_id: string | null;
  /** When last compared against a whole loaded list (db/last-screened-store.ts), null if never. */
  last_screened_at: Date | string | null;
  /** Text when read with `timestampsAsText` (the search). */
  created_at: Date | string;
  updated_at: Date | string;
}

export interface PatientRow {
  id: string;
  organization_id: string;
  external_id: string;
  first_name: string;
  middle_name: string | null;
  last_name: string;
  date_of_birth: string;
  sex: string | null;
  phone: string | null;
  email: string | null;
  address: string | null;
  city: string | null;
  state: string | null;
  zip: string | null;
  status: 'active' | 'inactive';
  full_name_norm: string;
  last_import_id: string | null;
  created_at: Date;
  updated_at: Date;
}

/** The columns a person's record sets (as validated by domain/roster-row.ts). */
export const EMPLOYEE_RECORD_COLUMNS = [
  'external_id',
  'first_name',
  'middle_name',
  'last_name',
  'date_of_birth',
  'npi',
  'email',
  'phone',
  'title',
  'hire_date',
  'other_names',
] as const;

/** The bound value of a record column: other names travel as one `;`-separated text, stored as a list. */
const recordValue = (column: string) =>
  column === 'other_names' ? 'ale_split_names($other_names::text)' : `$${column}`;

/** The columns the search reads: an EmployeeRow without the normalized first and last names. */
const SEARCH_COLUMNS = [
  'id',
  'organization_id',
  'kind',
  ...EMPLOYEE_RECORD_COLUMNS,
  'status',
  'full_name_norm',
  'last_import_id',
  'last_screened_at',
  'created_at',
  'updated_at',
] as const satisfies readonly (keyof EmployeeRow)[];

export type EmployeeSearchRow = Pick<EmployeeRow, (typeof SEARCH_COLUMNS)[number]>;

/**
 * The name half of a search: rows whose normalized full name contains the normalized `$q`. The
 * trigram index is asked only for up to three rare 3-character pieces of the term, disjoint where it can
 * (`ale_name_search_patterns`, migrations 0850 and 0950: the common pieces' posting lists are what made
 * the scan slow, and a single piece leaves many candidates to recheck), and `strpos` checks
 * the whole term on those candidates, so the rows are exactly those of `LIKE '%term%'`. Needs the
 * `search_terms` CTE that `nameOrderedPageSql` adds when searching, and `$sample` bound to
 * `nameSearchSample(…)`.
 */
export function nameMatchSql(alias: string) {
  const pattern = (n: number) => `${alias}.full_name_norm LIKE (SELECT patterns[${n}] FROM search_terms)`;
  return `(${pattern(1)} AND ${pattern(2)} AND ${pattern(3)}
      AND strpos(${alias}.full_name_norm, (SELECT term FROM search_terms)) > 0)`;
}

const SAMPLE_MAX_AGE_MS = 5 * 60_000;
interface Sample {
  value: string | null;
  loadedAt: number;
  refreshing?: Promise<string | null>;
}
const samples = new WeakMap<Sequelize, Map<string, Sample>>();

/**
 * The names ANALYZE sampled from `table.full_name_norm` (most common values and histogram bounds, as
 * text; null before the first ANALYZE): what `ale_name_search_patterns` ranks the pieces of a term
 * by. Cached per table for five minutes, then refreshed while searches go on with the previous one;
 * a stale sample only makes the pieces less well chosen, never the rows different.
 */
export async function nameSearchSample(
  sequelize: Sequelize,
  table: 'employees' | 'patients',
): Promise<string | null> {
  let byTable = samples.get(sequelize);
  if (!byTable) {
    byTable = new Map();
    samples.set(sequelize, byTable);
  }
  const cache = byTable;
  const entry = cache.get(table);
  if (entry?.refreshing) return entry.loadedAt ? entry.value : entry.refreshing;
  if (entry && Date.now() - entry.loadedAt < SAMPLE_MAX_AGE_MS) return entry.value;
  const keep = (value: string | null) => {
    cache.set(table, { value, loadedAt: Date.now() });
    return value;
  };
  const refreshing = queryOne<{ sample: string }>(
    sequelize,
    `SELECT coalesce(most_common_vals::text, '') || coalesce(histogram_bounds::text, '') AS sample
     FROM pg_stats WHERE schemaname = current_schema() AND tablename = $table AND attname = 'full_name_norm'`,
    { table },
  ).then(
    (row) => keep(row?.sample ?? null),
    () => keep(entry?.value ?? null),
  );
  cache.set(table, { value: entry?.value ?? null, loadedAt: entry?.loadedAt ?? 0, refreshing });
  return entry ? entry.value : refreshing;
}

/**
 * SQL for one keyset page of `table` ordered by (full_name_norm, id) — its `columns`, all by default —
 * binding `$limit` and, after the first page, `$afterName`/`$afterId`; when searching also `$q` and
 * `$sample` (for `nameMatchSql`). With a search term the planner, misled by LIMIT, would walk the
 * name-ordered index and filter half the organization; collecting the hits first keeps it on the
 * trigram and exact-match indexes, and only the hits are ordered.
 */
export function nameOrderedPageSql(
  table: 'employees' | 'patients',
  alias: string,
  conditions: string[],
  options: { searching: boolean; after: boolean; columns?: string },
) {
  const columns = options.columns ?? `${alias}.*`;
  const after = options.after
    ? [`(${alias}.full_name_norm, ${alias}.id) > ($afterName, $afterId::uuid)`]
    : [];
  const order = `ORDER BY ${alias}.full_name_norm, ${alias}.id LIMIT $limit`;
  if (!options.searching) {
    return `SELECT ${columns} FROM ${table} ${alias} WHERE ${[...conditions, ...after].join(' AND ')} ${order}`;
  }
  // Computed once per query (each `(SELECT … FROM search_terms)` is an InitPlan), not once per row.
  return `WITH search_terms AS MATERIALIZED (
  SELECT term, ale_name_search_patterns(term, $sample::text) AS patterns FROM (SELECT ale_normalize_name($q) AS term) t),
hits AS MATERIALIZED (SELECT ${alias}.* FROM ${table} ${alias} WHERE ${conditions.join(' AND ')})
SELECT ${columns} FROM hits ${alias}${after.length ? ` WHERE ${after[0]}` : ''} ${order}`;
}

export interface EmployeeFilters {
  /** A name (substring of the normalized full name), or an exact externalId, email or NPI. */
  q?: string;
  kind?: 'employee' | 'caregiver';
  status?: 'active' | 'inactive';
  npi?: string;
  exclusionStatus?: ExclusionStatus;
}

/** One keyset page: at most `limit` rows after the (full_name_norm, id) of `after`. */
export interface NamePage {
  limit: number;
  after?: [name: string, id: string];
}

/**
 * Search: `q` matches the normalized full name by substring (pg_trgm GIN index) or an exact
 * externalId / email / NPI; results are ordered by (full_name_norm, id), the keyset of the cursor.
 */
export function searchEmployeesSql(filters: {
  q?: string;
  kind?: string;
  status?: string;
  npi?: string;
  exclusionStatus?: ExclusionStatus;
  after?: boolean;
}) {
  const where = ['e.organization_id = $org'];
  if (filters.kind) where.push('e.kind = $kind');
  if (filters.status) where.push('e.status = $status');
  if (filters.npi) where.push('e.npi = $npi');
  if (filters.exclusionStatus) where.push(exclusionStatusCondition('e', filters.exclusionStatus, '$org'));
  if (filters.q) {
    where.push(`(${nameMatchSql('e')} OR e.external_id = $q
      OR lower(e.email) = lower($q) OR e.npi = $q)`);
  }
  return nameOrderedPageSql('employees', 'e', where, {
    searching: Boolean(filters.q),
    after: Boolean(filters.after),
    columns: SEARCH_COLUMNS.map((column) =>
      column === 'last_screened_at' ? `${lastScreenedAtSql('e')} AS last_screened_at` : `e.${column}`,
    ).join(', '),
  });
}

/** One page of the organization's employees and caregivers matching `filters`, in name order. */
export async function searchEmployees(
  sequelize: Sequelize,
  organizationId: string,
  filters: EmployeeFilters,
  page: NamePage,
): Promise<EmployeeSearchRow[]> {
  const { q, kind, status, npi, exclusionStatus } = filters;
  const { after } = page;
  return query<EmployeeSearchRow>(
    sequelize,
    searchEmployeesSql({ q, kind, status, npi, exclusionStatus, after: !!after }),
    {
      org: organizationId,
      limit: page.limit,
      ...(kind ? { kind } : {}),
      ...(status ? { status } : {}),
      ...(npi ? { npi } : {}),
      ...(q ? { q, sample: await nameSearchSample(sequelize, 'employees') } : {}),
      ...(after ? { afterName: after[0], afterId: after[1] } : {}),
    },
    // The rows go straight to JSON: their timestamps need no Date on the way.
    { prepare: true, timestampsAsText: true },
  );
}

export function findEmployee(db: Db, organizationId: string, id: string): Promise<EmployeeRow | undefined> {
  return queryOne<EmployeeRow>(
    db,
    `SELECT e.*, ${lastScreenedAtSql('e')} AS last_screened_at FROM employees e
     WHERE e.id = $id AND e.organization_id = $org`,
    { id, org: organizationId },
  );
}

/** A written employees row as EmployeeRow. */
const EMPLOYEE_RETURNING = `*, ${lastScreenedAtSql('employees')} AS last_screened_at`;

// full_name_norm is generated from these two (migration 1000).
const normalized = `coalesce(ale_normalize_name($first), ''), coalesce(ale_normalize_name($last), '')`;

function bindRecord(record: Record<string, string | null>) {
  return {
    first: record.first_name ?? null,
    last: record.last_name ?? null,
    ...Object.fromEntries(EMPLOYEE_RECORD_COLUMNS.map((c) => [c, record[c] ?? null])),
  };
}

const isUniqueViolation = (error: unknown) => (error as { code?: string }).code === '23505';

/** Another person of the same kind holds the key (externalId, or email without one). */
async function unique<T>(write: Promise<T>): Promise<T> {
  try {
    return await write;
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    throw new ConflictError(
      'Another employee of this kind already has this externalId (or email, when there is no externalId).',
    );
  }
}

export async function insertEmployee(
  db: Db,
  person: {
    organizationId: string;
    kind: 'employee' | 'caregiver';
    status: 'active' | 'inactive';
    record: Record<string, string | null>;
  },
): Promise<EmployeeRow> {
  const row = await unique(
    queryOne<EmployeeRow>(
      db,
      `INSERT INTO employees (organization_id, kind, ${EMPLOYEE_RECORD_COLUMNS.join(', ')}, status,
         first_name_norm, last_name_norm)
       VALUES ($org, $kind, ${EMPLOYEE_RECORD_COLUMNS.map(recordValue).join(', ')}, $status, ${normalized})
       RETURNING ${EMPLOYEE_RETURNING}`,
      { org: person.organizationId, kind: person.kind, status: person.status, ...bindRecord(person.record) },
    ),
  );
  if (!row) throw new Error('INSERT … RETURNING returned no row');
  return row;
}

/** Sets the whole record and status; undefined when the organization has no such person. */
export function updateEmployee(
  db: Db,
  person: {
    organizationId: string;
    id: string;
    status: 'active' | 'inactive';
    record: Record<string, string | null>;
  },
): Promise<EmployeeRow | undefined> {
  return unique(
    queryOne<EmployeeRow>(
      db,
      `UPDATE employees SET ${EMPLOYEE_RECORD_COLUMNS.map((col) => `${col} = ${recordValue(col)}`).join(', ')}, status = $status,
         (first_name_norm, last_name_norm) = (SELECT ${normalized}), updated_at = now()
       WHERE id = $id AND organization_id = $org RETURNING ${EMPLOYEE_RETURNING}`,
      { id: person.id, org: person.organizationId, status: person.status, ...bindRecord(person.record) },
    ),
  );
}

/** Marks a person inactive (updated_at moves only when the status does). */
export function deactivateEmployee(
  db: Db,
  organizationId: string,
  id: string,
): Promise<EmployeeRow | undefined> {
  return queryOne<EmployeeRow>(
    db,
    `UPDATE employees SET status = 'inactive',
       updated_at = CASE WHEN status = 'inactive' THEN updated_at ELSE now() END
     WHERE id = $id AND organization_id = $org RETURNING ${EMPLOYEE_RETURNING}`,
    { id, org: organizationId },
  );
}

/** One page of the organization's patients: by name (trigram) or exact MRN / email. */
export async function searchPatients(
  sequelize: Sequelize,
  organizationId: string,
  filters: { q?: string; status?: 'active' | 'inactive' },
  page: NamePage,
): Promise<PatientRow[]> {
  const { q, status } = filters;
  const { after } = page;
  const where = ['p.organization_id = $org'];
  if (status) where.push('p.status = $status');
  if (q) {
    where.push(`(${nameMatchSql('p')} OR p.external_id = $q
            OR lower(p.email) = lower($q))`);
  }
  return query<PatientRow>(
    sequelize,
    nameOrderedPageSql('patients', 'p', where, { searching: Boolean(q), after: Boolean(after) }),
    {
      org: organizationId,
      limit: page.limit,
      ...(status ? { status } : {}),
      ...(q ? { q, sample: await nameSearchSample(sequelize, 'patients') } : {}),
      ...(after ? { afterName: after[0], afterId: after[1] } : {}),
    },
  );
}

export function findPatient(db: Db, organizationId: string, id: string): Promise<PatientRow | undefined> {
  return queryOne<PatientRow>(db, 'SELECT * FROM patients WHERE id = $id AND organization_id = $org', {
    id,
    org: organizationId,
  });
}
