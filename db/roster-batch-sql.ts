import { ROSTER_FIELDS } from '../domain/roster-row';
import type { RosterKind } from '../lib/workflow-contracts';

/**
 * The text of a roster batch's write statement (db/people-import-store.ts runs it). A batch's rows
 * travel as one array parameter per column (unnest): no per-row round trip, no JSON.
 *
 * Parameters: `$importId`, `$organizationId`; the rejected rows' errors `$errorRows`,
 * `$errorColumns`, `$errorCodes`, `$errorMessages`, `$errorValues`; per row of the batch `$accepted`
 * and `$ids` (ids for the rows that turn out new) and one `$column_<name>` per column of the shape
 * (written where `accepted`); for employees/caregivers `$kind` (patients bind no kind).
 */

export interface TableShape {
  table: 'employees' | 'patients';
  columns: string[];
  dateColumns: Set<string>;
}

const EMPLOYEE_SHAPE: TableShape = {
  table: 'employees',
  columns: Object.keys(ROSTER_FIELDS.employees),
  dateColumns: new Set(['date_of_birth', 'hire_date']),
};
const PATIENT_SHAPE: TableShape = {
  table: 'patients',
  columns: Object.keys(ROSTER_FIELDS.patients),
  dateColumns: new Set(['date_of_birth']),
};

/** The destination table of a roster kind and the columns a batch binds, in order. */
export const shapeOf = (kind: RosterKind) => (kind === 'patients' ? PATIENT_SHAPE : EMPLOYEE_SHAPE);

/** The bind name of a shape column's array. */
export const columnParameter = (column: string) => `column_${column}`;

const P = {
  importId: '$importId',
  organizationId: '$organizationId::uuid',
  errors:
    '$errorRows::int[], $errorColumns::text[], $errorCodes::text[], $errorMessages::text[], $errorValues::text[]',
  accepted: '$accepted::bool[]',
  ids: '$ids::uuid[]',
  kind: '$kind::text',
};

function inputCte(shape: TableShape) {
  const arrays = shape.columns.map(
    (c) => `$${columnParameter(c)}::${shape.dateColumns.has(c) ? 'date' : 'text'}[]`,
  );
  // unnest() in the select list runs the arrays in step, row by row; in FROM it would first copy every
  // row into a tuplestore.
  const unnested = [`unnest(${P.accepted}) AS accepted`, `unnest(${P.ids}) AS id`].concat(
    arrays.map((array, i) => `unnest(${array}) AS ${shape.columns[i]}`),
  );
  // A person's other names arrive as the cell's text and are stored as a list (split on `;`/`|`).
  const selected = shape.columns.map((c) =>
    c === 'other_names' ? 'ale_split_names(other_names) AS other_names' : c,
  );
  return `input AS (
  SELECT id, ${selected.join(', ')} FROM (SELECT ${unnested.join(', ')}) r WHERE accepted
)`;
}

/**
 * Columns the file does not have are left as they are on update; present columns are written as
 * given (an empty cell clears the value). A row whose values are all equal is not touched at all,
 * so `last_import_id` marks only rows this import inserted or changed.
 */
function upsertCte(kind: RosterKind, present: string[], keyedBy: 'external_id' | 'email') {
  const shape = shapeOf(kind);
  const updatable = shape.columns.filter((c) => present.includes(c) && c !== 'external_id');
  const isPeople = kind !== 'patients';
  // employees.full_name_norm is generated from the other two (migration 1000).
  const normColumns = isPeople ? ['first_name_norm', 'last_name_norm'] : ['full_name_norm'];
  const conflict = isPeople
    ? keyedBy === 'external_id'
      ? '(organization_id, kind, external_id)'
      : '(organization_id, kind, lower(email)) WHERE external_id IS NULL'
    : '(organization_id, external_id)';
  const compared = [...updatable, 'status'];
  return `by_${keyedBy} AS (
  INSERT INTO ${shape.table} AS t (id, organization_id, ${isPeople ? 'kind, ' : ''}${shape.columns.join(', ')},
    status, ${normColumns.join(', ')}, last_import_id)
  SELECT id, ${P.organizationId}, ${isPeople ? `${P.kind}, ` : ''}${shape.columns.join(', ')}, 'active',
    ${normColumns.join(', ')}, ${P.importId}::uuid
  FROM normalized WHERE external_id IS ${keyedBy === 'external_id' ? 'NOT NULL' : 'NULL'}
  ON CONFLICT ${conflict} DO UPDATE SET
    ${[...updatable, 'status', ...normColumns, 'last_import_id'].map((c) => `${c} = excluded.${c}`).join(', ')},
    updated_at = now()
  WHERE (${compared.map((c) => `t.${c}`).join(', ')}) IS DISTINCT FROM (${compared.map((c) => `excluded.${c}`).join(', ')})
  RETURNING (xmax = 0) AS inserted
)`;
}

/**
 * Inserts or updates the accepted rows; `written` counts what was inserted and what was changed.
 * Rows keyed by e-mail have an upsert of their own (another conflict target); a batch without them
 * (`byEmail` false) skips it, and then its one upsert reads the rows as they are normalized instead
 * of from a materialized copy.
 */
function writeCtes(kind: RosterKind, present: string[], byEmail: boolean) {
  const normalized =
    kind === 'patients'
      ? "coalesce(ale_normalize_name(first_name || ' ' || last_name), '') AS full_name_norm"
      : `coalesce(ale_normalize_name(first_name), '') AS first_name_norm,
    coalesce(ale_normalize_name(last_name), '') AS last_name_norm`;
  const keys: ('external_id' | 'email')[] = byEmail ? ['external_id', 'email'] : ['external_id'];
  return `normalized AS ${byEmail ? 'MATERIALIZED ' : ''}(SELECT input.*, ${normalized} FROM input),
${keys.map((keyedBy) => upsertCte(kind, present, keyedBy)).join(',\n')},
written AS (
  SELECT count(*) FILTER (WHERE inserted)::int AS inserted, count(*) FILTER (WHERE NOT inserted)::int AS updated
  FROM (${keys.map((keyedBy) => `SELECT inserted FROM by_${keyedBy}`).join(' UNION ALL ')}) w
)`;
}

/** The same classification as writeCtes, without writing: what a dry run reports. */
function dryRunCte(kind: RosterKind, present: string[]) {
  const shape = shapeOf(kind);
  const compared = shape.columns.filter((c) => present.includes(c) && c !== 'external_id');
  const join =
    kind === 'patients'
      ? `t.organization_id = ${P.organizationId} AND t.external_id = i.external_id`
      : `t.organization_id = ${P.organizationId} AND t.kind = ${P.kind} AND CASE WHEN i.external_id IS NOT NULL
           THEN t.external_id = i.external_id ELSE t.external_id IS NULL AND lower(t.email) = lower(i.email) END`;
  return `written AS (
  SELECT count(*) FILTER (WHERE t.id IS NULL)::int AS inserted,
    count(*) FILTER (WHERE t.id IS NOT NULL AND (${[...compared.map((c) => `t.${c}`), 't.status'].join(', ')})
      IS DISTINCT FROM (${[...compared.map((c) => `i.${c}`), "'active'"].join(', ')}))::int AS updated
  FROM input i LEFT JOIN ${shape.table} t ON ${join}
)`;
}

/** Upserts (or, for a dry run, classifies) the accepted rows and writes the rejected rows' errors. */
export function rosterBatchSql(kind: RosterKind, present: string[], dryRun: boolean, byEmail: boolean) {
  return `
WITH ${inputCte(shapeOf(kind))},
${dryRun ? dryRunCte(kind, present) : writeCtes(kind, present, byEmail)},
errors AS (
  INSERT INTO roster_import_errors (import_id, row_number, "column", code, message, value)
  SELECT ${P.importId}::uuid, e.* FROM unnest(${P.errors}) AS e
)
SELECT inserted, updated FROM written`;
}

/**
 * The replace step's SQL parts for a roster kind, binding `$organizationId`, `$importId` and (for
 * employees/caregivers) `$kind`: who is in scope (`m`, the active members) and whether a member is
 * missing from the file, whose keys are its external ids (one array per batch) and its e-mail keys,
 * unique per import.
 */
export function replaceSql(kind: RosterKind) {
  const isPeople = kind !== 'patients';
  const keyExpr = isPeople
    ? "CASE WHEN m.external_id IS NOT NULL THEN 'x:' || m.external_id ELSE 'e:' || lower(m.email) END"
    : "'x:' || m.external_id";
  const fileKeys = `SELECT 'x:' || unnest(b.external_ids) AS key FROM roster_import_batches b WHERE b.import_id = $importId
            UNION ALL SELECT k.key FROM roster_import_keys k WHERE k.import_id = $importId`;
  return {
    table: shapeOf(kind).table,
    keyExpr,
    fileKeys,
    scope: `m.organization_id = $organizationId AND m.status = 'active'${isPeople ? ' AND m.kind = $kind' : ''}`,
    missing: `NOT EXISTS (SELECT 1 FROM (${fileKeys}) f WHERE f.key = ${keyExpr})`,
  };
}
