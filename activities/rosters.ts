import { ApplicationFailure, Context } from '@temporalio/activity';
import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { recordAudit } from '../db/audit';
import type { RosterImportRow } from '../db/roster-import-row';
import {
  type Cell,
  employeeKindOf,
  mapHeader,
  ROSTER_FIELDS,
  type RosterKind,
  type RowError,
  type RowResult,
  validateRosterRow,
} from '../domain/roster-row';
import type { ActivityDeps } from './deps';
import { headRosterObject, openRosterRecords, RosterFileError, type RosterSource } from './roster-files';

export const DEFAULT_IMPORT_BATCH_SIZE = 2000;

export interface ImportCounts {
  total: number;
  inserted: number;
  updated: number;
  unchanged: number;
  deactivated: number;
  rejected: number;
}

/** What the workflow learns about an import: ids, status and counts — never rows. */
export interface RosterImportSummary {
  importId: string;
  organizationId: string;
  kind: RosterKind;
  status: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  rowsProcessed: number;
  counts: ImportCounts;
  /** True when employees/caregivers were inserted or changed for real (not a dry run): screen them. */
  screen: boolean;
}

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

// ── Upserts: one statement per key kind, normalized names computed in SQL (SPEC §4.5) ──────────

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

const recordsetType = (shape: TableShape) =>
  shape.columns.map((c) => `${c} ${shape.dateColumns.has(c) ? 'date' : 'text'}`).join(', ');

/**
 * Columns the file does not have are left as they are on update; present columns are written as
 * given (an empty cell clears the value). A row whose values are all equal is not touched at all,
 * so `last_import_id` marks only rows this import inserted or changed.
 */
function upsertSql(kind: RosterKind, present: string[], keyedBy: 'external_id' | 'email') {
  const shape = kind === 'patients' ? PATIENT_SHAPE : EMPLOYEE_SHAPE;
  const updatable = shape.columns.filter((c) => present.includes(c) && c !== 'external_id');
  const isPeople = kind !== 'patients';
  const normColumns = isPeople ? ['first_name_norm', 'last_name_norm', 'full_name_norm'] : ['full_name_norm'];
  const normValues = isPeople
    ? [
        "coalesce(ale_normalize_name(first_name), '')",
        "coalesce(ale_normalize_name(last_name), '')",
        "coalesce(ale_normalize_name(first_name || ' ' || last_name), '')",
      ]
    : ["coalesce(ale_normalize_name(first_name || ' ' || last_name), '')"];
  const conflict = isPeople
    ? keyedBy === 'external_id'
      ? '(organization_id, kind, external_id)'
      : '(organization_id, kind, lower(email)) WHERE external_id IS NULL'
    : '(organization_id, external_id)';
  const compared = [...updatable, 'status'];
  return `
WITH input AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(${recordsetType(shape)})),
upserted AS (
  INSERT INTO ${shape.table} AS t (organization_id, ${isPeople ? 'kind, ' : ''}${shape.columns.join(', ')},
    status, ${normColumns.join(', ')}, last_import_id)
  SELECT $2, ${isPeople ? '$4, ' : ''}${shape.columns.join(', ')}, 'active', ${normValues.join(', ')}, $3
  FROM input WHERE external_id IS ${keyedBy === 'external_id' ? 'NOT NULL' : 'NULL'}
  ON CONFLICT ${conflict} DO UPDATE SET
    ${[...updatable, 'status', ...normColumns, 'last_import_id'].map((c) => `${c} = excluded.${c}`).join(', ')},
    updated_at = now()
  WHERE (${compared.map((c) => `t.${c}`).join(', ')}) IS DISTINCT FROM (${compared.map((c) => `excluded.${c}`).join(', ')})
  RETURNING (xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE inserted)::int AS inserted, count(*) FILTER (WHERE NOT inserted)::int AS updated
FROM upserted`;
}

/** The same classification as upsertSql, without writing: what a dry run reports. */
function dryRunSql(kind: RosterKind, present: string[]) {
  const shape = kind === 'patients' ? PATIENT_SHAPE : EMPLOYEE_SHAPE;
  const compared = shape.columns.filter((c) => present.includes(c) && c !== 'external_id');
  const join =
    kind === 'patients'
      ? 't.organization_id = $2 AND t.external_id = i.external_id'
      : `t.organization_id = $2 AND t.kind = $3 AND CASE WHEN i.external_id IS NOT NULL
           THEN t.external_id = i.external_id ELSE t.external_id IS NULL AND lower(t.email) = lower(i.email) END`;
  return `
WITH input AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(${recordsetType(shape)}))
SELECT count(*) FILTER (WHERE t.id IS NULL)::int AS inserted,
  count(*) FILTER (WHERE t.id IS NOT NULL AND (${[...compared.map((c) => `t.${c}`), 't.status'].join(', ')})
    IS DISTINCT FROM (${[...compared.map((c) => `i.${c}`), "'active'"].join(', ')}))::int AS updated
FROM input i LEFT JOIN ${shape.table} t ON ${join}`;
}

// ── One batch, one transaction: keys, rows, errors and the counters move together ────────────────

interface PendingRow {
  rowNumber: number;
  result: RowResult;
}

interface BatchContext {
  sequelize: Sequelize;
  imp: RosterImportRow;
  present: string[];
}

interface ErrorRow {
  row_number: number;
  column: string | null;
  code: string;
  message: string;
  value: string | null;
}

async function commitBatch(
  { sequelize, imp, present }: BatchContext,
  batch: PendingRow[],
  expectedProcessed: number,
): Promise<{ processed: number; cancelRequested: boolean }> {
  return sequelize.transaction(async (transaction) => {
    // Safe to skip the WAL flush wait: a batch lost in a database crash takes its counter with it
    // (same transaction), so the retry simply writes it again. finishRosterImport commits durably.
    await sequelize.query('SET LOCAL synchronous_commit = off', { transaction });
    const errors: ErrorRow[] = [];
    const rejected = new Set<number>();
    const reject = (rowNumber: number, rowErrors: RowError[]) => {
      rejected.add(rowNumber);
      for (const e of rowErrors) {
        errors.push({
          row_number: rowNumber,
          column: e.column,
          code: e.code,
          message: e.message,
          value: e.value,
        });
      }
    };
    // First occurrence of a key in the file wins, across batches and retries (roster_import_keys).
    const firstInBatch = new Map<string, number>();
    for (const { rowNumber, result } of batch) {
      if (result.key !== null && !firstInBatch.has(result.key)) firstInBatch.set(result.key, rowNumber);
    }
    const claimed = new Set<string>();
    if (firstInBatch.size > 0) {
      const rows = await sequelize.query<{ key: string }>(
        `INSERT INTO roster_import_keys (import_id, key) SELECT $1, unnest($2::text[])
         ON CONFLICT DO NOTHING RETURNING key`,
        { bind: [imp.id, [...firstInBatch.keys()]], type: QueryTypes.SELECT, transaction },
      );
      for (const row of rows) claimed.add(row.key);
    }
    const valid: Record<string, string | null>[] = [];
    for (const { rowNumber, result } of batch) {
      if (!result.ok) {
        reject(rowNumber, result.errors);
        continue;
      }
      if (!claimed.has(result.key) || firstInBatch.get(result.key) !== rowNumber) {
        const column = result.key.startsWith('x:') ? 'external_id' : 'email';
        reject(rowNumber, [
          {
            column,
            code: 'duplicate_in_file',
            message: `An earlier row of this file has the same ${column}; the first one wins.`,
            value: result.key.slice(2),
          },
        ]);
        continue;
      }
      valid.push(result.record);
    }

    let inserted = 0;
    let updated = 0;
    if (valid.length > 0) {
      const kindValue = imp.kind === 'patients' ? null : employeeKindOf(imp.kind);
      if (imp.dry_run) {
        const bind =
          imp.kind === 'patients'
            ? [JSON.stringify(valid), imp.organization_id]
            : [JSON.stringify(valid), imp.organization_id, kindValue];
        const [row] = await sequelize.query<{ inserted: number; updated: number }>(
          dryRunSql(imp.kind, present),
          {
            bind,
            type: QueryTypes.SELECT,
            transaction,
          },
        );
        inserted = row?.inserted ?? 0;
        updated = row?.updated ?? 0;
      } else {
        const groups =
          imp.kind === 'patients'
            ? [['external_id', valid] as const]
            : ([
                ['external_id', valid.filter((r) => r.external_id)],
                ['email', valid.filter((r) => !r.external_id)],
              ] as const);
        for (const [keyedBy, rows] of groups) {
          if (rows.length === 0) continue;
          const bind = [JSON.stringify(rows), imp.organization_id, imp.id, ...(kindValue ? [kindValue] : [])];
          const [row] = await sequelize.query<{ inserted: number; updated: number }>(
            upsertSql(imp.kind, present, keyedBy),
            { bind, type: QueryTypes.SELECT, transaction },
          );
          inserted += row?.inserted ?? 0;
          updated += row?.updated ?? 0;
        }
      }
    }
    if (errors.length > 0) {
      await sequelize.query(
        `INSERT INTO roster_import_errors (import_id, row_number, "column", code, message, value)
         SELECT $1, row_number, "column", code, message, value
         FROM jsonb_to_recordset($2::jsonb) AS r(row_number int, "column" text, code text, message text, value text)`,
        { bind: [imp.id, JSON.stringify(errors)], transaction },
      );
    }
    // Guarded by the expected position: a second attempt that raced this one cannot count a batch twice.
    const progress = await sequelize.query<{ cancel_requested_at: Date | null }>(
      `UPDATE roster_imports SET rows_processed = rows_processed + $3, total_count = total_count + $3,
         inserted_count = inserted_count + $4, updated_count = updated_count + $5,
         unchanged_count = unchanged_count + $6, rejected_count = rejected_count + $7, updated_at = now()
       WHERE id = $1 AND rows_processed = $2 AND status = 'running'
       RETURNING cancel_requested_at`,
      {
        bind: [
          imp.id,
          expectedProcessed,
          batch.length,
          inserted,
          updated,
          valid.length - inserted - updated,
          rejected.size,
        ],
        type: QueryTypes.SELECT,
        transaction,
      },
    );
    if (progress.length === 0) {
      throw new Error(`Import ${imp.id} moved on while this batch was written; resuming from the database.`);
    }
    return {
      processed: expectedProcessed + batch.length,
      cancelRequested: progress[0]?.cancel_requested_at != null,
    };
  });
}

const isBlank = (cells: Cell[]) =>
  cells.every((cell) => cell === null || cell === undefined || String(cell).trim() === '');

export function createRosterActivities({ sequelize, s3, logger }: ActivityDeps) {
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
      let stopPending: (() => Promise<void> | undefined) | undefined;
      if (resumeAfter > 0) logger.info({ importId, resumeAfter }, 'resuming roster import');
      try {
        const { size } = await headRosterObject(s3, source);
        const { records } = await openRosterRecords(s3, source, size);
        let columns: (string | null)[] | null = null;
        let present: string[] = [];
        let seen = 0;
        let batch: PendingRow[] = [];
        // The next batch is parsed while this one commits: at most one commit in flight, in file order.
        let inflight: Promise<boolean> | null = null;
        const settle = async () => {
          const cancelRequested = inflight ? await inflight : false;
          inflight = null;
          return cancelRequested;
        };
        const flush = async () => {
          if (await settle()) return true;
          if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason;
          const rows = batch;
          batch = [];
          inflight = commitBatch({ sequelize, imp, present }, rows, processed).then((result) => {
            processed = result.processed;
            ctx.heartbeat({ rowsCommitted: processed });
            return result.cancelRequested;
          });
          // Awaited by the next flush; until then a failure must not count as unhandled.
          inflight.catch(() => {});
          return false;
        };
        stopPending = () =>
          inflight?.then(
            () => undefined,
            () => undefined,
          );
        for await (const { rowNumber, cells } of records) {
          if (isBlank(cells)) continue;
          if (columns === null) {
            const header = cells.map((cell) => (cell === null || cell === undefined ? '' : String(cell)));
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
          columns.forEach((column, index) => {
            if (column) rowCells[column] = cells[index];
          });
          batch.push({ rowNumber, result: validateRosterRow(imp.kind, rowCells, { today: options.today }) });
          if (batch.length >= batchSize && (await flush()))
            return { rowsProcessed: processed, cancelled: true };
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
          const missing = `NOT EXISTS (SELECT 1 FROM roster_import_keys k WHERE k.import_id = $2 AND k.key = ${keyExpr})`;
          const bind = [
            imp.organization_id,
            importId,
            ...(isPeople ? [employeeKindOf(imp.kind as 'employees')] : []),
          ];
          const [counts] = await sequelize.query<{ active: number; missing: number }>(
            `SELECT count(*)::int AS active, count(*) FILTER (WHERE ${missing})::int AS missing
             FROM ${table} m WHERE ${scope}`,
            { bind, type: QueryTypes.SELECT, transaction },
          );
          const { active = 0, missing: absent = 0 } = counts ?? {};
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
        await recordAudit(
          {
            actorUserId: null,
            action: 'roster_import.succeeded',
            entityType: 'roster_import',
            entityId: importId,
            organizationId: imp.organization_id,
            details: { ...summaryOf(done).counts, dryRun: imp.dry_run, mode: imp.mode },
          },
          transaction,
        );
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
        await recordAudit(
          {
            actorUserId: null,
            action: 'roster_import.failed',
            entityType: 'roster_import',
            entityId: importId,
            organizationId: imp.organization_id,
            details: summaryOf(done).counts as unknown as Record<string, unknown>,
          },
          transaction,
        );
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
  await sequelize.query('DELETE FROM roster_import_keys WHERE import_id = $1', {
    bind: [importId],
    transaction,
  });
  return (rows as RosterImportRow[])[0] as RosterImportRow;
}
