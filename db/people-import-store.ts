import type { BatchErrors } from '../domain/roster-batch';
import { employeeKindOf } from '../domain/roster-row';
import type { RosterKind } from '../lib/workflow-contracts';
import { boolArray, dateArray, int4Array, randomUuidArray, textArray } from './binary-arrays';
import { columnParameter, replaceSql, rosterBatchSql, shapeOf } from './roster-batch-sql';
import { type Db, execute, queryOne } from './sql';

/**
 * The statements by which a roster import writes people (employees, or patients): a batch's upsert
 * with its rejected rows' errors, and the replace step's count and deactivation. The people of the
 * API's own CRUD and search are db/people-store.ts's.
 */

/** The import a batch or the replace step belongs to, as they read it. */
export interface ImportTarget {
  importId: string;
  organizationId: string;
  kind: RosterKind;
}

export interface RosterBatchWrite extends ImportTarget {
  /** The columns the file has (the others are left as they are on update). */
  present: string[];
  dryRun: boolean;
  /** Whether some rows are keyed by e-mail (no external id): they have an upsert of their own. */
  byEmail: boolean;
  errors: BatchErrors;
  /** Per row of the batch: whether it is written. */
  accepted: readonly boolean[];
  /** Per column of the kind's shape (db/roster-batch-sql.ts), one value per row of the batch. */
  columns: readonly (readonly (string | null)[])[];
}

const kindBind = (kind: RosterKind) => (kind === 'patients' ? {} : { kind: employeeKindOf(kind) });

/**
 * Upserts (or, for a dry run, classifies) a batch's accepted rows and writes its rejected rows'
 * errors, in one statement; returns how many rows it inserted and how many it changed.
 */
export async function writeRosterBatch(tx: Db, batch: RosterBatchWrite) {
  const { columns, dateColumns } = shapeOf(batch.kind);
  const columnArrays = Object.fromEntries(
    columns.map((column, i) => {
      const values = batch.columns[i] as (string | null)[];
      return [columnParameter(column), dateColumns.has(column) ? dateArray(values) : textArray(values)];
    }),
  );
  const written = await queryOne<{ inserted: number; updated: number }>(
    tx,
    rosterBatchSql(batch.kind, batch.present, batch.dryRun, batch.byEmail),
    {
      importId: batch.importId,
      organizationId: batch.organizationId,
      errorRows: int4Array(batch.errors.rowNumbers),
      errorColumns: textArray(batch.errors.columns),
      errorCodes: textArray(batch.errors.codes),
      errorMessages: textArray(batch.errors.messages),
      errorValues: textArray(batch.errors.values),
      accepted: boolArray(batch.accepted),
      // Ids for the rows that turn out new: drawn here, far cheaper than Postgres's gen_random_uuid()
      // (OpenSSL's generator) row by row.
      ids: randomUuidArray(batch.accepted.length),
      ...columnArrays,
      ...kindBind(batch.kind),
    },
  );
  return { inserted: written?.inserted ?? 0, updated: written?.updated ?? 0 };
}

/**
 * For the replace step: the active members of the import's roster and how many of them the file
 * holds. The members and the file's keys are compared by hashing the keys once (for the rest of the
 * transaction): the planner, whose statistics predate the rows this import just wrote, would
 * otherwise probe for each member.
 */
export async function countRosterMembersInFile(tx: Db, target: ImportTarget) {
  const { table, fileKeys, keyExpr, scope } = replaceSql(target.kind);
  await execute(tx, 'SET LOCAL enable_nestloop = off');
  const counts = await queryOne<{ active: number; inFile: number }>(
    tx,
    `SELECT count(*)::int AS active, count(f.key)::int AS "inFile"
             FROM ${table} m LEFT JOIN (${fileKeys}) f ON f.key = ${keyExpr} WHERE ${scope}`,
    { organizationId: target.organizationId, importId: target.importId, ...kindBind(target.kind) },
  );
  return { active: counts?.active ?? 0, inFile: counts?.inFile ?? 0 };
}

/**
 * The replace guard's numbers taken BEFORE any row is written (docs/spec.md §4.2): the active
 * members of the import's roster as it is, and how many of them the file's keys name (its external
 * ids, and the e-mails of its rows without one).
 */
export async function countRosterMembersInKeys(
  db: Db,
  target: Omit<ImportTarget, 'importId'>,
  keys: { externalIds: readonly string[]; emails: readonly string[] },
) {
  const { table, keyExpr, scope } = replaceSql(target.kind);
  const counts = await queryOne<{ active: number; inFile: number }>(
    db,
    `WITH f AS (
       SELECT 'x:' || unnest($externalIds::text[]) AS key
       UNION SELECT 'e:' || lower(unnest($emails::text[]))
     )
     SELECT count(*)::int AS active, count(f.key)::int AS "inFile"
     FROM ${table} m LEFT JOIN f ON f.key = ${keyExpr} WHERE ${scope}`,
    {
      organizationId: target.organizationId,
      externalIds: [...keys.externalIds],
      emails: [...keys.emails],
      ...kindBind(target.kind),
    },
  );
  return { active: counts?.active ?? 0, inFile: counts?.inFile ?? 0 };
}

/** Deactivates the active members of the roster that the import's file does not hold; returns how many. */
export function deactivateMissingRosterMembers(tx: Db, target: ImportTarget): Promise<number> {
  const { table, scope, missing } = replaceSql(target.kind);
  return execute(
    tx,
    `UPDATE ${table} m SET status = 'inactive', last_import_id = $importId, updated_at = now()
               WHERE ${scope} AND ${missing}`,
    { organizationId: target.organizationId, importId: target.importId, ...kindBind(target.kind) },
  );
}
