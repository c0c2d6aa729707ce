import { type Client, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import type { Sequelize } from 'sequelize';
import type { Db } from '../db/sql';
import {
  claimWorkflowIntents,
  deleteWorkflowIntent,
  insertWorkflowIntent,
  releaseWorkflowIntent,
  type WorkflowIntentRow,
} from '../db/workflow-outbox-store';
import type { Config } from '../lib/config';
import type { Logger } from '../lib/logger';
import type { WorkflowIntent, WorkflowIntentOutcome } from '../lib/workflow-intents';

/**
 * The outbox of docs/spec.md §12. A write that must start or signal a workflow records the intent
 * in its own transaction (`recordWorkflowIntent`); right after the commit the request tries to
 * deliver its entity's intents (`deliverWorkflowIntentsOf`), so with Temporal up nothing changes
 * for the caller; whatever is left — Temporal down, a crash between commit and start — the relay
 * (`startWorkflowOutboxRelay`, in every API process) delivers once Temporal answers again, each
 * entity's intents in the order they were written. docs/architecture.md says where it runs.
 */

export interface OutboxDeps {
  sequelize: Sequelize;
  temporal: Client;
  logger?: Logger;
}

/** A claimed intent that is not delivered or given back within this is claimed again by another relay. */
const LEASE_SECONDS = 60;
/** How long one delivery may take: longer than any healthy start or signal. */
const DELIVERY_DEADLINE_MS = 10_000;
/** How long a request waits for its own intent before leaving it to the relay. */
const REQUEST_DEADLINE_MS = 2_000;
/** After a failed delivery, requests leave their intents to the relay for this long. */
const TEMPORAL_DOWN_HOLD_MS = 5_000;
const RELAY_BATCH = 100;
const RELAY_CONCURRENCY = 16;

/** Per client: until when a request should not wait on Temporal (a delivery just failed). */
const temporalDownUntil = new WeakMap<Client, number>();

/** Records `intent` for `entityKey` (the order of delivery is per entity) in the caller's transaction. */
export function recordWorkflowIntent(tx: Db, entityKey: string, intent: WorkflowIntent): Promise<string> {
  return insertWorkflowIntent(tx, entityKey, intent);
}

async function send(temporal: Client, intent: WorkflowIntent): Promise<WorkflowIntentOutcome> {
  switch (intent.kind) {
    case 'start':
      try {
        await temporal.workflow.start(intent.workflowType, {
          workflowId: intent.workflowId,
          taskQueue: intent.taskQueue,
          args: intent.args,
          workflowIdConflictPolicy: intent.conflict === 'use-existing' ? 'USE_EXISTING' : undefined,
          workflowIdReusePolicy:
            intent.reuse === 'reject-duplicate'
              ? 'REJECT_DUPLICATE'
              : intent.reuse === 'allow-duplicate'
                ? 'ALLOW_DUPLICATE'
                : undefined,
        });
        return 'delivered';
      } catch (error) {
        if (error instanceof WorkflowExecutionAlreadyStartedError) return 'already-started';
        throw error;
      }
    case 'signalWithStart':
      await temporal.workflow.signalWithStart(intent.workflowType, {
        workflowId: intent.workflowId,
        taskQueue: intent.taskQueue,
        args: intent.args,
        signal: intent.signal,
        signalArgs: intent.signalArgs,
      });
      return 'delivered';
    case 'signal':
      try {
        await temporal.workflow.getHandle(intent.workflowId).signal(intent.signal, ...intent.signalArgs);
        return 'delivered';
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) return 'not-running';
        throw error;
      }
    case 'cancel':
      try {
        await temporal.workflow.getHandle(intent.workflowId).cancel();
        return 'delivered';
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) return 'not-running';
        throw error;
      }
  }
}

/** The wait before a failed intent is due again: doubling from half a second, capped. */
export const retryDelayMs = (attempts: number, capMs: number) => Math.min(500 * 2 ** attempts, capMs);

/** Delivers one claimed intent and deletes it; on failure gives it back for later. */
async function attempt(
  deps: OutboxDeps,
  row: WorkflowIntentRow,
  deadlineMs: number,
  retryCapMs: number,
): Promise<WorkflowIntentOutcome | undefined> {
  const { sequelize, temporal, logger } = deps;
  let outcome: WorkflowIntentOutcome;
  try {
    outcome = await temporal.withDeadline(Date.now() + deadlineMs, () => send(temporal, row.intent));
  } catch (error) {
    temporalDownUntil.set(temporal, Date.now() + TEMPORAL_DOWN_HOLD_MS);
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    logger?.warn(
      { err: error, intentId: row.id, entityKey: row.entity_key, attempts: row.attempts + 1 },
      'workflow intent not delivered; the outbox relay retries it',
    );
    await releaseWorkflowIntent(sequelize, {
      id: row.id,
      delayMs: retryDelayMs(row.attempts, retryCapMs),
      error: message.slice(0, 1000),
    });
    return undefined;
  }
  temporalDownUntil.delete(temporal);
  await deleteWorkflowIntent(sequelize, row.id);
  return outcome;
}

type DeliverDeps = OutboxDeps & { config: Pick<Config, 'OUTBOX_RETRY_MAX_DELAY_MS'> };

/** Follow-ups of a request whose delivery failed: 1, 2, 4 … 32 s later, beside the relay. */
const FOLLOW_UPS = 6;

/**
 * Right after the commit: delivers the entity's due intents, oldest first, stopping at the first
 * that fails. Never throws: the intents are committed either way. Returns the outcome of each
 * delivered intent by its id. What it could not deliver, the relay delivers; this process also
 * looks again a few times (the relay of another replica, or none in a test's app, may be slower).
 */
export function deliverWorkflowIntentsOf(
  deps: DeliverDeps,
  entityKey: string,
): Promise<Map<string, WorkflowIntentOutcome>> {
  return deliverNow(deps, entityKey, 0);
}

function followUp(deps: DeliverDeps, entityKey: string, round: number) {
  if (round >= FOLLOW_UPS) return;
  setTimeout(() => void deliverNow(deps, entityKey, round + 1), 1000 * 2 ** round).unref();
}

async function deliverNow(
  deps: DeliverDeps,
  entityKey: string,
  round: number,
): Promise<Map<string, WorkflowIntentOutcome>> {
  const outcomes = new Map<string, WorkflowIntentOutcome>();
  if ((temporalDownUntil.get(deps.temporal) ?? 0) > Date.now()) {
    followUp(deps, entityKey, round);
    return outcomes;
  }
  const capMs = deps.config.OUTBOX_RETRY_MAX_DELAY_MS;
  try {
    for (;;) {
      const [row] = await claimWorkflowIntents(deps.sequelize, {
        limit: 1,
        leaseSeconds: LEASE_SECONDS,
        entityKey,
      });
      if (!row) return outcomes;
      const outcome = await attempt(deps, row, REQUEST_DEADLINE_MS, capMs);
      if (!outcome) {
        followUp(deps, entityKey, round);
        return outcomes;
      }
      outcomes.set(row.id, outcome);
    }
  } catch (error) {
    deps.logger?.warn({ err: error, entityKey }, 'could not deliver workflow intents now; the relay will');
    followUp(deps, entityKey, round);
    return outcomes;
  }
}

/**
 * One pass of the relay: claims due intents (the oldest of each entity), probes Temporal with the
 * first, and delivers the rest only if it answered. True when it should go on at once (more may be
 * due: the next intents of the entities it delivered).
 */
async function relayRound(deps: OutboxDeps, retryCapMs: number): Promise<boolean> {
  const rows = await claimWorkflowIntents(deps.sequelize, {
    limit: RELAY_BATCH,
    leaseSeconds: LEASE_SECONDS,
  });
  const [first, ...rest] = rows;
  if (!first) return false;
  if (!(await attempt(deps, first, DELIVERY_DEADLINE_MS, retryCapMs))) {
    // Temporal did not answer: the others were not tried, so they are due again as they were.
    for (const row of rest) {
      await releaseWorkflowIntent(deps.sequelize, { id: row.id, delayMs: 0, error: null });
    }
    return false;
  }
  let next = 0;
  const lane = async () => {
    while (next < rest.length) {
      const row = rest[next++] as WorkflowIntentRow;
      await attempt(deps, row, DELIVERY_DEADLINE_MS, retryCapMs);
    }
  };
  await Promise.all(Array.from({ length: Math.min(RELAY_CONCURRENCY, rest.length) }, lane));
  return true;
}

export interface WorkflowOutboxRelay {
  /** Stops polling and waits for the round in progress. */
  stop(): Promise<void>;
}

/**
 * Delivers the outbox every `OUTBOX_POLL_INTERVAL_MS` until stopped. Several processes may run it
 * at once: claims skip rows another relay holds (FOR UPDATE SKIP LOCKED plus a lease).
 */
export function startWorkflowOutboxRelay(
  deps: OutboxDeps & { config: Pick<Config, 'OUTBOX_POLL_INTERVAL_MS' | 'OUTBOX_RETRY_MAX_DELAY_MS'> },
): WorkflowOutboxRelay {
  const { config, logger } = deps;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  const schedule = (ms: number) => {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      running = tick();
    }, ms);
    timer.unref();
  };
  const tick = async () => {
    try {
      while (!stopped && (await relayRound(deps, config.OUTBOX_RETRY_MAX_DELAY_MS)));
    } catch (error) {
      logger?.warn({ err: error }, 'the outbox relay could not read the outbox; retrying');
    } finally {
      schedule(config.OUTBOX_POLL_INTERVAL_MS);
    }
  };
  schedule(0);
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
