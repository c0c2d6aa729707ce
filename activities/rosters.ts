import { ApplicationFailure, Context } from '@temporalio/activity';
import { countRosterMembersInKeys } from '../db/people-import-store';
import { RosterBatchPipeline } from '../db/roster-batch-pipeline';
import { shapeOf } from '../db/roster-batch-sql';
import { cancelRosterImport, failRosterImport, finishRosterImport } from '../db/roster-import-lifecycle';
import {
  committedExternalIds,
  findRosterImport,
  markRosterImportRunning,
  recordUnknownColumns,
  rosterImportSummary,
} from '../db/roster-import-store';
import { NotFoundError } from '../domain/errors';
import { BatchRows } from '../domain/roster-batch';
import { HEADER, RosterFileError, RosterRecordReader } from '../domain/roster-file';
import { DeactivationRefusedError, deactivationRefusal } from '../domain/roster-replace';
import type { RosterImportSummary } from '../lib/workflow-contracts';
import type { ActivityDeps } from './deps';
import { headRosterObject, openRosterRecords, type RosterSource } from './roster-files';

export const DEFAULT_IMPORT_BATCH_SIZE = 1000;

const missing = (importId: string) =>
  ApplicationFailure.nonRetryable(`Import ${importId} does not exist.`, 'ImportNotFound');

/** The store's refusals as non-retryable failures the workflow reports. */
async function classified<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (error instanceof DeactivationRefusedError) {
      throw ApplicationFailure.nonRetryable(error.message, 'DeactivationGuard');
    }
    if (error instanceof NotFoundError)
      throw ApplicationFailure.nonRetryable(error.message, 'ImportNotFound');
    throw error;
  }
}

function fileFailure(error: unknown): unknown {
  if (error instanceof RosterFileError) return ApplicationFailure.nonRetryable(error.message, error.type);
  return error;
}

export function createRosterActivities({
  sequelize,
  s3,
  logger,
}: Pick<ActivityDeps, 'sequelize' | 's3' | 'logger'>) {
  return {
    /** Marks the import running and pins the object's ETag so a retry reads the same bytes. */
    async prepareRosterImport(importId: string): Promise<RosterImportSummary> {
      const imp = await findRosterImport(sequelize, importId);
      if (!imp) throw missing(importId);
      if (imp.status !== 'queued' && imp.status !== 'running') return rosterImportSummary(imp);
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
      return rosterImportSummary((await markRosterImportRunning(sequelize, importId, etag)) ?? imp);
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
      const imp = await findRosterImport(sequelize, importId);
      if (!imp) throw missing(importId);
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
      let pipeline: RosterBatchPipeline | undefined;
      if (resumeAfter > 0) logger.info({ importId, resumeAfter }, 'resuming roster import');
      try {
        const fileIds = await committedExternalIds(sequelize, importId, resumeAfter);
        const { size } = await headRosterObject(s3, source);
        const { records } = await openRosterRecords(s3, source, size);
        const reader = new RosterRecordReader(imp.kind, { today: options.today, skipRows: resumeAfter });
        const columns = shapeOf(imp.kind).columns;
        let batch = new BatchRows(columns, fileIds);
        for await (const chunk of records) {
          for (const { rowNumber, cells } of chunk) {
            const row = reader.read(cells);
            if (row === null) continue;
            if (row === HEADER) {
              const header = reader.header as NonNullable<typeof reader.header>;
              await recordUnknownColumns(sequelize, importId, header.unknown);
              pipeline = new RosterBatchPipeline(
                sequelize,
                {
                  importId,
                  organizationId: imp.organization_id,
                  kind: imp.kind,
                  dryRun: imp.dry_run,
                  present: header.present,
                },
                processed,
                (committed) => {
                  processed = committed;
                  ctx.heartbeat({ rowsCommitted: committed });
                },
              );
              continue;
            }
            batch.add(rowNumber, row);
            if (batch.length >= batchSize) {
              if (await (pipeline as RosterBatchPipeline).push(batch, ctx.cancellationSignal)) {
                return { rowsProcessed: processed, cancelled: true };
              }
              batch = new BatchRows(columns, fileIds);
            }
          }
        }
        reader.finish();
        const writing = pipeline as RosterBatchPipeline;
        if (batch.length > 0 && (await writing.push(batch, ctx.cancellationSignal))) {
          return { rowsProcessed: processed, cancelled: true };
        }
        const cancelled = await writing.drain();
        return { rowsProcessed: processed, cancelled };
      } catch (error) {
        // Let a commit still in flight finish (or roll back) before the import is marked failed.
        await pipeline?.abandon();
        throw fileFailure(error);
      }
    },

    /**
     * docs/spec.md §4.2: a replace import's > 50 % guard decides BEFORE any row is written, against
     * the roster as it was. Reads the file once for its keys (external ids, e-mails of rows without
     * one) and counts the active members it names; a refusal (DeactivationGuard) fails the import
     * with nothing inserted, updated or deactivated. Not for merge or forced imports (null).
     */
    async checkRosterReplace(
      importId: string,
      options: { today: string },
    ): Promise<{ active: number; inFile: number } | null> {
      const ctx = Context.current();
      const imp = await findRosterImport(sequelize, importId);
      if (!imp) throw missing(importId);
      if (imp.mode !== 'replace' || imp.force || imp.status !== 'running' || imp.rows_processed > 0) {
        return null;
      }
      const target = { organizationId: imp.organization_id, kind: imp.kind };
      // A roster with no active member has no one a replace could deactivate: no file to read.
      const before = await countRosterMembersInKeys(sequelize, target, { externalIds: [], emails: [] });
      if (before.active === 0) return before;
      const source: RosterSource = {
        bucket: imp.source_bucket,
        key: imp.source_key,
        etag: imp.source_etag,
        format: imp.format,
      };
      const externalIds = new Set<string>();
      const emails: string[] = [];
      try {
        const { size } = await headRosterObject(s3, source);
        const { records } = await openRosterRecords(s3, source, size);
        const reader = new RosterRecordReader(imp.kind, { today: options.today, skipRows: 0 });
        for await (const chunk of records) {
          for (const { cells } of chunk) {
            const row = reader.read(cells);
            if (row === null || row === HEADER) continue;
            // The same keys as the replace step compares (db/roster-batch-sql.ts replaceSql).
            const externalId = row.record.external_id ?? null;
            if (externalId !== null) externalIds.add(externalId);
            else if (row.key !== null && row.record.email) emails.push(row.record.email);
          }
          ctx.heartbeat();
        }
        reader.finish();
      } catch (error) {
        throw fileFailure(error);
      }
      const counts = await countRosterMembersInKeys(sequelize, target, {
        externalIds: [...externalIds],
        emails,
      });
      const refusal = deactivationRefusal({ kind: imp.kind, ...counts, force: imp.force });
      if (refusal) throw ApplicationFailure.nonRetryable(refusal, 'DeactivationGuard');
      return counts;
    },

    /**
     * After the whole file was read: mode=replace deactivates the members missing from it (refusing
     * more than half of the active roster unless forced), then the import succeeds — one transaction.
     */
    async finishRosterImport(importId: string): Promise<RosterImportSummary> {
      return rosterImportSummary(await classified(() => finishRosterImport(sequelize, importId)));
    },

    /** Ends an import as failed with a reason a person can act on; committed batches stay committed. */
    async markRosterImportFailed(importId: string, reason: string): Promise<RosterImportSummary> {
      return rosterImportSummary(await classified(() => failRosterImport(sequelize, importId, reason)));
    },

    async markRosterImportCancelled(importId: string): Promise<RosterImportSummary> {
      return rosterImportSummary(await classified(() => cancelRosterImport(sequelize, importId)));
    },
  };
}
