import { ApplicationFailure, Context } from '@temporalio/activity';
import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { recordAudit } from '../db/audit-store';
import { boolArray, dateArray, int4Array, randomUuidArray, textArray } from '../db/binary-arrays';
import type { RosterImportRow } from '../db/roster-import-row';
import { ExternalIdSet } from '../domain/external-id-set';
import {
  type Cell,
  employeeKindOf,
  mapHeader,
  ROSTER_FIELDS,
  type RowError,
  type RowResult,
  validateRosterRow,
  withoutNul,
} from '../domain/roster-row';
import type { RosterImportSummary, RosterKind } from '../lib/workflow-contracts';
import type { ActivityDeps } from './deps';
import { headRosterObject, openRosterRecords, RosterFileError, type RosterSource } from './roster-files';

export const DEFAULT_IMPORT_BATCH_SIZE = 1000;
/** Batches written at once (each in its own transaction and connection), committed in file order. */
const MAX_BATCHES_IN_FLIGHT = 2;

function summaryOf(row: RosterImportRow): RosterImportSummary {
  return {
    importId: row.id,
    organizationId: row.organization_id,
    kind: row.kind,
    status: row.status,
    rowsProcessed: row.rows_processed,
    counts: {
      total: row.total_count,
      inserted: row.inserted_count,
      updated: row.updated_count,
      unchanged: row.unchanged_count,
      deactivated: row.deactivated_count,
      rejected: row.rejected_count,
    },
    screen: !row.dry_run && row.kind !== 'patients' && row.inserted_count + row.updated_count > 0,
  };
}

async function loadImport(sequelize: Sequelize, importId: string, transaction?: Transaction, lock = false) {
  const rows = await sequelize.query<RosterImportRow>(
    `SELECT * FROM roster_imports WHERE id = $1${lock ? ' FOR UPDATE' : ''}`,
    { bind: [importId], type: QueryTypes.SELECT, transaction },
  );
  const row = rows[0];
  if (!row) throw ApplicationFailure.nonRetryable(`Import ${importId} does not exist.`, 'ImportNotFound');
  return row;
}

function fileFailure(error: unknown): unknown {
  if (error instanceof RosterFileError) return ApplicationFailure.nonRetryable(error.message, error.type);
  return error;
}

// ── One batch, one transaction: rows, errors and the counters move together (SPEC §4.2, §4.5) ────
//
// A repeated external id is told by the worker as it reads the file (first occurrence wins; the ids
// of committed batches are kept with them, to resume and for the replace step). A batch is then at
// most four statements in one transaction: claim its e-mail keys, if it has rows keyed by e-mail;
// upsert the accepted rows (names normalized in SQL, once per row) and write the rejected rows'
// errors; record its external ids and advance the import's counters, guarded by the expected
// position. Rows travel as one array parameter per column (unnest): no per-row round trip, no JSON.

interface TableShape {
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

const shapeOf = (kind: RosterKind) => (kind === 'patients' ? PATIENT_SHAPE : EMPLOYEE_SHAPE);

/**
 * Bind positions of the batch statement: the row ids and columns follow (every row of the batch,
 * written where `accepted`), one array each in shape order, and for employees/caregivers the `kind`
 * value comes last (patients bind no kind).
 */
const P = {
  importId: '$1',
  organizationId: '$2::uuid',
  errors: '$3::int[], $4::text[], $5::text[], $6::text[], $7::text[]',
  accepted: '$8::bool[]',
  ids: '$9::uuid[]',
  firstColumn: 10,
  kind: `$${10 + EMPLOYEE_SHAPE.columns.length}::text`,
};

function inputCte(shape: TableShape) {
  const arrays = shape.columns.map(
    (c, i) => `$${P.firstColumn + i}::${shape.dateColumns.has(c) ? 'date' : 'text'}[]`,
  );
  // unnest() in the select list runs the arrays in step, row by row; in FROM it would first copy every
  // row into a tuplestore (2.7 % of a batch's Postgres instructions).
  const unnested = [`unnest(${P.accepted}) AS accepted`, `unnest(${P.ids}) AS id`].concat(
    arrays.map((array, i) => `unnest(${array}) AS ${shape.columns[i]}`),
  );
  return `input AS (
  SELECT id, ${shape.columns.join(', ')} FROM (SELECT ${unnested.join(', ')}) r WHERE accepted
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
 * of from a materialized copy (2.6 % of a batch's Postgres instructions).
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
function writeSql(kind: RosterKind, present: string[], dryRun: boolean, byEmail: boolean) {
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
 * Claims the batch's e-mail keys for this import: per key, the batch's first row, unless an earlier
 * batch (or an earlier attempt of this one that committed) already claimed it. Postgres lower-cases
 * them, exactly like the unique index on lower(email) and the replace step (JavaScript's lower-casing
 * differs for some letters, so the worker cannot judge e-mails itself). Returns the row numbers that
 * did not win their key.
 */
const CLAIM_EMAILS_SQL = `
WITH input AS (
  SELECT k.row_number, 'e:' || lower(k.email) AS key FROM unnest($2::int[], $3::text[]) AS k(row_number, email)
),
candidates AS (SELECT DISTINCT ON (key) key, row_number FROM input ORDER BY key, row_number),
claimed AS (
  INSERT INTO roster_import_keys (import_id, key) SELECT $1, key FROM candidates
  ON CONFLICT DO NOTHING RETURNING key
)
SELECT i.row_number FROM input i
WHERE NOT EXISTS (SELECT 1 FROM candidates c JOIN claimed USING (key) WHERE c.row_number = i.row_number)`;

/**
 * Records the batch's external ids and advances the counters, guarded by the expected position: a
 * second attempt that raced this one cannot count a batch twice (nor record its ids twice: the key).
 */
const PROGRESS_SQL = `
WITH ids AS (
  INSERT INTO roster_import_batches (import_id, rows_before, external_ids) VALUES ($1, $2, $8::text[])
)
UPDATE roster_imports SET rows_processed = rows_processed + $3, total_count = total_count + $3,
  inserted_count = inserted_count + $4, updated_count = updated_count + $5,
  unchanged_count = unchanged_count + $6, rejected_count = rejected_count + $7, updated_at = now()
WHERE id = $1 AND rows_processed = $2 AND status = 'running'
RETURNING cancel_requested_at`;

const duplicateError = (column: 'external_id' | 'email', value: string): RowError => ({
  column,
  code: 'duplicate_in_file',
  message: `An earlier row of this file has the same ${column}; the first one wins.`,
  value,
});

/**
 * One batch as it is read, kept column by column (what Postgres gets): the per-row objects of parsing
 * and validation die young instead of living until the batch commits.
 */
class BatchRows {
  readonly rowNumbers: number[] = [];
  /** The external ids whose first row in the file is in this batch (rejected rows' included). */
  readonly externalIds: string[] = [];
  /** Rows keyed by e-mail (no external id): row number and e-mail, claimed in Postgres. */
  readonly emailRows: number[] = [];
  readonly emails: string[] = [];
  /** The errors of rejected rows (invalid, or a repeated external id), by row number. */
  readonly rejected = new Map<number, RowError[]>();
  /** Per shape column, one value per row (null for rejected rows). */
  readonly columns: (string | null)[][];

  constructor(
    private readonly shape: TableShape,
    private readonly fileIds: ExternalIdSet,
  ) {
    this.columns = shape.columns.map(() => []);
  }

  get length() {
    return this.rowNumbers.length;
  }

  /** The columns as the batch statement binds them: one binary array each (db/binary-arrays.ts). */
  columnArrays(): Buffer[] {
    const { columns, dateColumns } = this.shape;
    return this.columns.map((values, i) =>
      dateColumns.has(columns[i] as string) ? dateArray(values) : textArray(values),
    );
  }

  add(rowNumber: number, result: RowResult) {
    this.rowNumbers.push(rowNumber);
    let errors = result.ok ? null : result.errors;
    const externalId = result.record.external_id ?? null;
    if (externalId !== null) {
      if (this.fileIds.add(externalId)) this.externalIds.push(externalId);
      else errors ??= [duplicateError('external_id', externalId)];
    } else if (result.key !== null) {
      this.emailRows.push(rowNumber);
      this.emails.push(result.record.email as string);
    }
    if (errors) this.rejected.set(rowNumber, errors);
    const { columns } = this.shape;
    for (let i = 0; i < columns.length; i++) {
      this.columns[i]?.push(errors ? null : (result.record[columns[i] as string] ?? null));
    }
  }
}

interface BatchContext {
  sequelize: Sequelize;
  imp: RosterImportRow;
  present: string[];
}

interface BatchOutcome {
  processed: number;
  cancelRequested: boolean;
}

/** A batch on its way: when its e-mail keys are claimed (or it failed), and when it committed. */
interface BatchInFlight {
  emailsClaimed: Promise<unknown>;
  committed: Promise<BatchOutcome>;
}

/**
 * Writes one batch in its own transaction: e-mail keys, external ids, rows, errors and the import's
 * counters commit together. Two batches may be in flight at once (on two connections, so Postgres
 * maintains the indexes of both on two cores) and still commit in file order:
 * - this batch claims its e-mail keys only after the previous batch claimed its own, so a key in both
 *   is the previous batch's (first in the file wins; repeated external ids were rejected as read);
 * - it advances the counters only after the previous batch committed; if that one failed, the
 *   position guard fails here too and both roll back, so the retry resumes after the last commit.
 * The two never wait on each other's row locks the other way round: their keys differ, and keys map
 * one-to-one to employee/patient rows (the same columns and lower() as the unique indexes).
 */
function commitBatch(
  { sequelize, imp, present }: BatchContext,
  batch: BatchRows,
  expectedProcessed: number,
  previous: BatchInFlight | null,
): BatchInFlight {
  let emailsDone: () => void = () => {};
  const claimedOrFailed = new Promise<void>((resolve) => {
    emailsDone = resolve;
  });
  const committed = sequelize.transaction(async (transaction): Promise<BatchOutcome> => {
    // Safe to skip the WAL flush wait: a batch lost in a database crash takes its counter with it
    // (same transaction), so the retry simply writes it again. finishRosterImport commits durably.
    // The lock timeout only bounds an unforeseen wait; a batch normally waits for its predecessor alone.
    await sequelize.query("SET LOCAL synchronous_commit = off; SET LOCAL lock_timeout = '2min'", {
      transaction,
    });
    let lostEmails: Set<number>;
    try {
      await previous?.emailsClaimed;
      const rows =
        batch.emailRows.length === 0
          ? []
          : await sequelize.query<{ row_number: number }>(CLAIM_EMAILS_SQL, {
              bind: [imp.id, int4Array(batch.emailRows), textArray(batch.emails)],
              type: QueryTypes.SELECT,
              transaction,
            });
      lostEmails = new Set(rows.map((row) => row.row_number));
    } finally {
      emailsDone();
    }

    // Rejected rows' errors, one array per column (row_number, column, code, message, value).
    const errors: [number[], (string | null)[], string[], string[], (string | null)[]] = [[], [], [], [], []];
    let rejected = 0;
    const reject = (rowNumber: number, rowErrors: RowError[]) => {
      rejected++;
      for (const e of rowErrors) {
        errors[0].push(rowNumber);
        errors[1].push(e.column);
        errors[2].push(e.code);
        errors[3].push(e.message);
        errors[4].push(e.value);
      }
    };
    const emailOf = new Map(batch.emailRows.map((rowNumber, i) => [rowNumber, batch.emails[i] as string]));
    const accepted = batch.rowNumbers.map((rowNumber) => {
      const rowErrors = batch.rejected.get(rowNumber);
      if (rowErrors) {
        reject(rowNumber, rowErrors);
        return false;
      }
      if (lostEmails.has(rowNumber)) {
        reject(rowNumber, [duplicateError('email', (emailOf.get(rowNumber) as string).toLowerCase())]);
        return false;
      }
      return true;
    });
    const acceptedCount = batch.length - rejected;
    const [written] = await sequelize.query<{ inserted: number; updated: number }>(
      writeSql(imp.kind, present, imp.dry_run, batch.emailRows.length > 0),
      {
        bind: [
          imp.id,
          imp.organization_id,
          int4Array(errors[0]),
          ...[errors[1], errors[2], errors[3], errors[4]].map(textArray),
          boolArray(accepted),
          // Ids for the rows that turn out new: Postgres's gen_random_uuid() costs ≈ 14k instructions a
          // row (OpenSSL's generator; 4 % of a batch), drawing them here a fraction of that.
          randomUuidArray(batch.length),
          ...batch.columnArrays(),
          ...(imp.kind === 'patients' ? [] : [employeeKindOf(imp.kind)]),
        ],
        type: QueryTypes.SELECT,
        transaction,
      },
    );
    const inserted = written?.inserted ?? 0;
    const updated = written?.updated ?? 0;
    // Counters move in file order (if the previous batch failed, the guard below fails too).
    await previous?.committed.catch(() => undefined);
    const progress = await sequelize.query<{ cancel_requested_at: Date | null }>(PROGRESS_SQL, {
      bind: [
        imp.id,
        expectedProcessed,
        batch.length,
        inserted,
        updated,
        acceptedCount - inserted - updated,
        rejected,
        textArray(batch.externalIds),
      ],
      type: QueryTypes.SELECT,
      transaction,
    });
    if (progress.length === 0) {
      throw new Error(`Import ${imp.id} moved on while this batch was written; resuming from the database.`);
    }
    return {
      processed: expectedProcessed + batch.length,
      cancelRequested: progress[0]?.cancel_requested_at != null,
    };
  });
  const settled = committed.then(
    () => undefined,
    () => undefined,
  );
  return { emailsClaimed: Promise.race([claimedOrFailed, settled]), committed };
}

/** The external ids of the batches committed before `rowsBefore`, read back a page at a time. */
async function externalIdsCommitted(sequelize: Sequelize, importId: string, rowsBefore: number) {
  const ids = new ExternalIdSet();
  let after = -2;
  for (;;) {
    const batches = await sequelize.query<{ rows_before: number; external_ids: string[] }>(
      `SELECT rows_before, external_ids FROM roster_import_batches
       WHERE import_id = $1 AND rows_before > $2 AND rows_before < $3 ORDER BY rows_before LIMIT 50`,
      { bind: [importId, after, rowsBefore], type: QueryTypes.SELECT },
    );
    for (const { external_ids } of batches) for (const id of external_ids) ids.add(id);
    const last = batches.at(-1);
    if (!last) return ids;
    after = last.rows_before;
  }
}

const isBlank = (cells: Cell[]) =>
  cells.every((cell) => cell === null || cell === undefined || String(cell).trim() === '');

export function createRosterActivities({
  sequelize,
  s3,
  logger,
}: Pick<ActivityDeps, 'sequelize' | 's3' | 'logger'>) {
  return {
    /** Marks the import running and pins the object's ETag so a retry reads the same bytes. */
    async prepareRosterImport(importId: string): Promise<RosterImportSummary> {
      const imp = await loadImport(sequelize, importId);
      if (imp.status !== 'queued' && imp.status !== 'running') return summaryOf(imp);
      let etag = imp.source_etag;
      if (!etag) {
        try {
          ({ etag } = await headRosterObject(s3, {
            bucket: imp.source_bucket,
            key: imp.source_key,
            format: imp.format,
          }));
        } catch (error) {
          throw fileFailure(error);
        }
      }
      const [rows] = await sequelize.query(
        `UPDATE roster_imports SET status = 'running', source_etag = $2, started_at = coalesce(started_at, now()),
           updated_at = now() WHERE id = $1 AND status IN ('queued','running') RETURNING *`,
        { bind: [importId, etag] },
      );
      return summaryOf((rows as RosterImportRow[])[0] ?? imp);
    },

    /**
     * Streams the file and commits it batch by batch. Resumes after the last committed batch (the
     * database's rows_processed, committed with each batch, is the checkpoint; the heartbeat mirrors it).
     */
    async importRosterRows(
      importId: string,
      options: { batchSize?: number; today: string },
    ): Promise<{ rowsProcessed: number; cancelled: boolean }> {
      const ctx = Context.current();
      const imp = await loadImport(sequelize, importId);
      if (imp.status !== 'running') return { rowsProcessed: imp.rows_processed, cancelled: false };
      if (imp.cancel_requested_at) return { rowsProcessed: imp.rows_processed, cancelled: true };
      const batchSize = options.batchSize ?? DEFAULT_IMPORT_BATCH_SIZE;
      const source: RosterSource = {
        bucket: imp.source_bucket,
        key: imp.source_key,
        etag: imp.source_etag,
        format: imp.format,
      };
      let processed = imp.rows_processed;
      const resumeAfter = processed;
      let stopPending: (() => Promise<void>) | undefined;
      if (resumeAfter > 0) logger.info({ importId, resumeAfter }, 'resuming roster import');
      try {
        const fileIds = await externalIdsCommitted(sequelize, importId, resumeAfter);
        const { size } = await headRosterObject(s3, source);
        const { records } = await openRosterRecords(s3, source, size);
        let columns: (string | null)[] | null = null;
        let present: string[] = [];
        let seen = 0;
        const shape = shapeOf(imp.kind);
        let batch = new BatchRows(shape, fileIds);
        // The next batch is parsed while up to two commit (see commitBatch), in file order.
        const inflight: Promise<BatchOutcome>[] = [];
        let previous: BatchInFlight | null = null;
        let dispatched = processed;
        let cancelRequested = false;
        /** Waits for the oldest batch in flight to commit; true once a cancel was seen. */
        const settleOldest = async () => {
          if ((await inflight.shift())?.cancelRequested) cancelRequested = true;
          return cancelRequested;
        };
        const settle = async () => {
          while (inflight.length > 0) await settleOldest();
          return cancelRequested;
        };
        const flush = async () => {
          while (inflight.length >= MAX_BATCHES_IN_FLIGHT) await settleOldest();
          // Cancelled: no new batch; the one still in flight commits (or rolls back) first.
          if (cancelRequested) return settle();
          if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason;
          const rows = batch;
          batch = new BatchRows(shape, fileIds);
          previous = commitBatch({ sequelize, imp, present }, rows, dispatched, previous);
          dispatched += rows.length;
          const committed = previous.committed.then((result) => {
            // Batches commit in file order, so these run in order too.
            processed = result.processed;
            ctx.heartbeat({ rowsCommitted: processed });
            return result;
          });
          // Awaited by a later flush; until then a failure must not count as unhandled.
          committed.catch(() => {});
          inflight.push(committed);
          return false;
        };
        stopPending = async () => {
          await Promise.allSettled(inflight);
        };
        for await (const chunk of records) {
          for (const { rowNumber, cells } of chunk) {
            if (isBlank(cells)) continue;
            if (columns === null) {
              const header = cells.map((cell) =>
                cell === null || cell === undefined ? '' : withoutNul(String(cell)),
              );
              const mapping = mapHeader(imp.kind, header);
              if (mapping.missing.length > 0) {
                const single =
                  header.length === 1
                    ? ` Only one column was found ("${header[0]?.slice(0, 80)}"): separate columns with commas, semicolons, tabs or |.`
                    : '';
                throw new RosterFileError(
                  'MissingColumns',
                  `The header lacks required column(s): ${mapping.missing.join(', ')}.${single}`,
                );
              }
              columns = mapping.columns;
              present = columns.filter((c): c is string => c !== null);
              await sequelize.query('UPDATE roster_imports SET unknown_columns = $2 WHERE id = $1', {
                bind: [importId, mapping.unknown],
              });
              continue;
            }
            seen++;
            if (seen <= resumeAfter) continue;
            const rowCells: Record<string, Cell> = {};
            for (let index = 0; index < columns.length; index++) {
              const column = columns[index];
              if (column) rowCells[column] = cells[index];
            }
            batch.add(rowNumber, validateRosterRow(imp.kind, rowCells, { today: options.today }));
            if (batch.length >= batchSize && (await flush()))
              return { rowsProcessed: processed, cancelled: true };
          }
        }
        if (columns === null) throw new RosterFileError('EmptyFile', 'The file is empty.');
        if (seen === 0) throw new RosterFileError('EmptyFile', 'The file has a header but no rows.');
        if (batch.length > 0 && (await flush())) return { rowsProcessed: processed, cancelled: true };
        const cancelled = await settle();
        return { rowsProcessed: processed, cancelled };
      } catch (error) {
        // Let a commit still in flight finish (or roll back) before the import is marked failed.
        await stopPending?.();
        throw fileFailure(error);
      }
    },

    /**
     * After the whole file was read: mode=replace deactivates the members missing from it (refusing
     * more than half of the active roster unless forced), then the import succeeds — one transaction.
     */
    async finishRosterImport(importId: string): Promise<RosterImportSummary> {
      const summary = await sequelize.transaction(async (transaction) => {
        const imp = await loadImport(sequelize, importId, transaction, true);
        if (imp.status !== 'running') return summaryOf(imp);
        if (imp.cancel_requested_at) {
          return summaryOf(await setStatus(sequelize, importId, 'cancelled', null, transaction));
        }
        let deactivated = 0;
        if (imp.mode === 'replace') {
          const isPeople = imp.kind !== 'patients';
          const table = isPeople ? 'employees' : 'patients';
          const keyExpr = isPeople
            ? "CASE WHEN m.external_id IS NOT NULL THEN 'x:' || m.external_id ELSE 'e:' || lower(m.email) END"
            : "'x:' || m.external_id";
          const scope = `m.organization_id = $1 AND m.status = 'active'${isPeople ? ' AND m.kind = $3' : ''}`;
          // The file's keys: its external ids (one array per batch) and its e-mail keys; unique per import.
          const fileKeys = `SELECT 'x:' || unnest(b.external_ids) AS key FROM roster_import_batches b WHERE b.import_id = $2
            UNION ALL SELECT k.key FROM roster_import_keys k WHERE k.import_id = $2`;
          const missing = `NOT EXISTS (SELECT 1 FROM (${fileKeys}) f WHERE f.key = ${keyExpr})`;
          const bind = [
            imp.organization_id,
            importId,
            ...(isPeople ? [employeeKindOf(imp.kind as 'employees')] : []),
          ];
          // The members and the file's keys are compared by hashing the keys once. The planner, whose
          // statistics predate the rows this import just wrote, would otherwise probe for each member.
          await sequelize.query('SET LOCAL enable_nestloop = off', { transaction });
          const [counts] = await sequelize.query<{ active: number; inFile: number }>(
            `SELECT count(*)::int AS active, count(f.key)::int AS "inFile"
             FROM ${table} m LEFT JOIN (${fileKeys}) f ON f.key = ${keyExpr} WHERE ${scope}`,
            { bind, type: QueryTypes.SELECT, transaction },
          );
          const { active = 0, inFile: kept = 0 } = counts ?? {};
          const absent = active - kept;
          if (absent * 2 > active && !imp.force) {
            throw ApplicationFailure.nonRetryable(
              `Replacing the roster would deactivate ${absent} of ${active} active ${imp.kind} (more than half); ` +
                'nobody was deactivated. Check the file, or import again with force=true.',
              'DeactivationGuard',
            );
          }
          if (imp.dry_run) {
            deactivated = absent;
          } else if (absent > 0) {
            const [, result] = await sequelize.query(
              `UPDATE ${table} m SET status = 'inactive', last_import_id = $2, updated_at = now()
               WHERE ${scope} AND ${missing}`,
              { bind, transaction },
            );
            deactivated = (result as { rowCount?: number }).rowCount ?? absent;
          }
        }
        await sequelize.query('UPDATE roster_imports SET deactivated_count = $2 WHERE id = $1', {
          bind: [importId, deactivated],
          transaction,
        });
        const done = await setStatus(sequelize, importId, 'succeeded', null, transaction);
        await recordAudit(transaction, {
          actorUserId: null,
          action: 'roster_import.succeeded',
          entityType: 'roster_import',
          entityId: importId,
          organizationId: imp.organization_id,
          details: { ...summaryOf(done).counts, dryRun: imp.dry_run, mode: imp.mode },
        });
        return summaryOf(done);
      });
      return summary;
    },

    /** Ends an import as failed with a reason a person can act on; committed batches stay committed. */
    async markRosterImportFailed(importId: string, reason: string): Promise<RosterImportSummary> {
      return sequelize.transaction(async (transaction) => {
        const imp = await loadImport(sequelize, importId, transaction, true);
        if (imp.status !== 'queued' && imp.status !== 'running') return summaryOf(imp);
        const done = await setStatus(sequelize, importId, 'failed', reason.slice(0, 2000), transaction);
        await recordAudit(transaction, {
          actorUserId: null,
          action: 'roster_import.failed',
          entityType: 'roster_import',
          entityId: importId,
          organizationId: imp.organization_id,
          details: summaryOf(done).counts as unknown as Record<string, unknown>,
        });
        return summaryOf(done);
      });
    },

    async markRosterImportCancelled(importId: string): Promise<RosterImportSummary> {
      return sequelize.transaction(async (transaction) => {
        const imp = await loadImport(sequelize, importId, transaction, true);
        if (imp.status !== 'queued' && imp.status !== 'running') return summaryOf(imp);
        return summaryOf(await setStatus(sequelize, importId, 'cancelled', null, transaction));
      });
    },
  };
}

async function setStatus(
  sequelize: Sequelize,
  importId: string,
  status: 'succeeded' | 'failed' | 'cancelled',
  failureReason: string | null,
  transaction: Transaction,
): Promise<RosterImportRow> {
  const [rows] = await sequelize.query(
    `UPDATE roster_imports SET status = $2, failure_reason = $3, finished_at = now(), updated_at = now()
     WHERE id = $1 RETURNING *`,
    { bind: [importId, status, failureReason], transaction },
  );
  // The keys only serve this import while it runs.
  await sequelize.query(
    'WITH keys AS (DELETE FROM roster_import_keys WHERE import_id = $1) DELETE FROM roster_import_batches WHERE import_id = $1',
    {
      bind: [importId],
      transaction,
    },
  );
  return (rows as RosterImportRow[])[0] as RosterImportRow;
}
