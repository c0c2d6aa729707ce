import type { Sequelize } from 'sequelize';
import { type BatchRows, settleBatch } from '../domain/roster-batch';
import { type ImportTarget, writeRosterBatch } from './people-import-store';
import { claimRosterEmailKeys, recordBatchProgress, relaxBatchTransaction } from './roster-import-store';
import { inTransaction } from './sql';

/**
 * One batch, one transaction: rows, errors and the counters move together (docs/spec.md §4.2,
 * §4.5). A batch is at most four statements: claim its e-mail keys, if it has rows keyed by e-mail;
 * upsert the accepted rows (names normalized in SQL, once per row) and write the rejected rows'
 * errors; record its external ids and advance the import's counters, guarded by the expected
 * position.
 */

/** Batches written at once (each in its own transaction and connection), committed in file order. */
const MAX_BATCHES_IN_FLIGHT = 2;

export interface PipelineTarget extends ImportTarget {
  dryRun: boolean;
  /** The columns the file has. */
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
  sequelize: Sequelize,
  target: PipelineTarget,
  batch: BatchRows,
  expectedProcessed: number,
  previous: BatchInFlight | null,
): BatchInFlight {
  let emailsDone: () => void = () => {};
  const claimedOrFailed = new Promise<void>((resolve) => {
    emailsDone = resolve;
  });
  const committed = inTransaction(sequelize, async (tx): Promise<BatchOutcome> => {
    await relaxBatchTransaction(tx);
    let lostEmails: Set<number>;
    try {
      await previous?.emailsClaimed;
      const lost =
        batch.emailRows.length === 0
          ? []
          : await claimRosterEmailKeys(tx, target.importId, batch.emailRows, batch.emails);
      lostEmails = new Set(lost);
    } finally {
      emailsDone();
    }
    const { accepted, errors, rejected } = settleBatch(batch, lostEmails);
    const acceptedCount = batch.length - rejected;
    const { inserted, updated } = await writeRosterBatch(tx, {
      ...target,
      byEmail: batch.emailRows.length > 0,
      errors,
      accepted,
      columns: batch.columns,
    });
    // Counters move in file order (if the previous batch failed, the guard below fails too).
    await previous?.committed.catch(() => undefined);
    const progress = await recordBatchProgress(tx, {
      importId: target.importId,
      rowsBefore: expectedProcessed,
      rows: batch.length,
      inserted,
      updated,
      unchanged: acceptedCount - inserted - updated,
      rejected,
      externalIds: batch.externalIds,
    });
    if (!progress) {
      throw new Error(
        `Import ${target.importId} moved on while this batch was written; resuming from the database.`,
      );
    }
    return {
      processed: expectedProcessed + batch.length,
      cancelRequested: progress.cancel_requested_at != null,
    };
  });
  const settled = committed.then(
    () => undefined,
    () => undefined,
  );
  return { emailsClaimed: Promise.race([claimedOrFailed, settled]), committed };
}

/**
 * The batches of one import's file on their way to Postgres: the next batch is parsed while up to
 * two commit (see commitBatch), in file order.
 */
export class RosterBatchPipeline {
  private readonly inflight: Promise<BatchOutcome>[] = [];
  private previous: BatchInFlight | null = null;
  private dispatched: number;
  private cancelRequested = false;

  /**
   * @param processed rows committed before (where the import resumes)
   * @param onCommitted called, in file order, with the rows committed once each batch commits
   */
  constructor(
    private readonly sequelize: Sequelize,
    private readonly target: PipelineTarget,
    processed: number,
    private readonly onCommitted: (processed: number) => void,
  ) {
    this.dispatched = processed;
  }

  /**
   * Sends `batch` on its way once fewer than two are in flight; true (and nothing sent) once a
   * cancel was seen. `signal` aborted throws its reason instead.
   */
  async push(batch: BatchRows, signal: AbortSignal): Promise<boolean> {
    while (this.inflight.length >= MAX_BATCHES_IN_FLIGHT) await this.settleOldest();
    // Cancelled: no new batch; the one still in flight commits (or rolls back) first.
    if (this.cancelRequested) return this.drain();
    if (signal.aborted) throw signal.reason;
    this.previous = commitBatch(this.sequelize, this.target, batch, this.dispatched, this.previous);
    this.dispatched += batch.length;
    const committed = this.previous.committed.then((result) => {
      // Batches commit in file order, so these run in order too.
      this.onCommitted(result.processed);
      return result;
    });
    // Awaited by a later push; until then a failure must not count as unhandled.
    committed.catch(() => {});
    this.inflight.push(committed);
    return false;
  }

  /** Waits for every batch in flight to commit; true once a cancel was seen. */
  async drain(): Promise<boolean> {
    while (this.inflight.length > 0) await this.settleOldest();
    return this.cancelRequested;
  }

  /** After a failure: lets a commit still in flight finish (or roll back). */
  async abandon(): Promise<void> {
    await Promise.allSettled(this.inflight);
  }

  private async settleOldest() {
    if ((await this.inflight.shift())?.cancelRequested) this.cancelRequested = true;
    return this.cancelRequested;
  }
}
