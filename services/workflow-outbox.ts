import type { Client } from '@temporalio/client';
import type { Sequelize } from 'sequelize';
import type { Db } from '../db/sql';
import {
  claimWorkflowIntents,
  deleteWorkflowIntentPeekingNext,
  deleteWorkflowIntents,
  insertWorkflowIntent,
  insertWorkflowIntentForRequest,
  releaseWorkflowIntents,
  type WorkflowIntentRow,
} from '../db/workflow-outbox-store';
import type { Config } from '../lib/config';
import type { Logger } from '../lib/logger';
import {
  type Delivery,
  planDeliveries,
  type WorkflowIntent,
  type WorkflowIntentOutcome,
} from '../lib/workflow-intents';
import { sendWorkflowIntent } from './send-workflow-intent';

/**
 * The outbox of docs/spec.md §12. A write that must start or signal a workflow records the intent
 * in its own transaction (`recordWorkflowIntent`); right after the commit the request tries to
 * deliver its entity's intents (`deliverWorkflowIntentsOf`), so with Temporal up nothing changes
 * for the caller; whatever is left — Temporal down, a crash between commit and start — the relay
 * (`startWorkflowOutboxRelay`, in every API process) delivers once Temporal answers again, each
 * entity's intents in the order they were written; starts that declare a batch key are united
 * (lib/workflow-intents.ts `planDeliveries`), so a backlog costs Temporal a few starts, not one per
 * write. docs/architecture.md says where it runs.
 */

export interface OutboxDeps {
  sequelize: Sequelize;
  temporal: Client;
  logger?: Logger;
}

/** A claimed intent that is not delivered or given back within this is claimed again by another relay. */
const LEASE_SECONDS = 60;
/**
 * A relay round starts no delivery after this much of its lease: what is left is given back, so a
 * slow Temporal never lets a lease lapse under a delivery in flight (another relay would repeat it).
 */
const ROUND_BUDGET_MS = (LEASE_SECONDS * 1000) / 2;
/** How long the relay's "does Temporal answer" call may take (the client retries inside it). */
const PROBE_DEADLINE_MS = 1_000;
/**
 * While Temporal does not answer the relay asks again this soon, whatever OUTBOX_POLL_INTERVAL_MS
 * says: one cheap call, and the backlog starts moving as soon as Temporal is back.
 */
const DOWN_POLL_MS = 100;
/** How long one delivery may take: longer than any healthy start or signal. */
const DELIVERY_DEADLINE_MS = 10_000;
/** How long a request waits for its own intent before leaving it to the relay. */
const REQUEST_DEADLINE_MS = 2_000;
/** After a failed delivery, requests leave their intents to the relay for this long. */
const TEMPORAL_DOWN_HOLD_MS = 5_000;
/**
 * Heads claimed per round: enough that a backlog's batched starts of one key meet in one round and
 * are united up to their `max`, and that the united starts (many intents each) go before the
 * backlog's single ones (docs/architecture.md, "The outbox"; the claim stays an index walk).
 */
const RELAY_BATCH = 10_000;
const RELAY_CONCURRENCY = 16;

/** Per client: until when a request should not wait on Temporal (a delivery just failed). */
const temporalDownUntil = new WeakMap<Client, number>();

/** Records `intent` for `entityKey` (the order of delivery is per entity) in the caller's transaction. */
export function recordWorkflowIntent(tx: Db, entityKey: string, intent: WorkflowIntent): Promise<string> {
  return insertWorkflowIntent(tx, entityKey, intent);
}

/** An intent the request that recorded it delivers itself, right after its commit. */
export interface RecordedIntent {
  id: string;
  entityKey: string;
  intent: WorkflowIntent;
  /** Leased to the request (its entity's only intent): delivered by id, with no claim. */
  leased: boolean;
}

/**
 * `recordWorkflowIntent` for a request that hands the result to `deliverRecordedIntent` after its
 * commit: the row is leased to the request when it is its entity's only intent, which spares the
 * claim statement on the busiest write path (docs/benchmarks.md, "The outbox's own cost"). A request
 * that dies before delivering leaves it to the relay when the lease lapses.
 */
export async function recordWorkflowIntentToDeliver(
  tx: Db,
  entityKey: string,
  intent: WorkflowIntent,
): Promise<RecordedIntent> {
  const { id, leased } = await insertWorkflowIntentForRequest(tx, entityKey, intent, LEASE_SECONDS);
  return { id, entityKey, intent, leased };
}

/** The wait before a failed intent is due again: doubling from half a second, capped. */
export const retryDelayMs = (attempts: number, capMs: number) => Math.min(500 * 2 ** attempts, capMs);

/**
 * Sends one delivery (one intent, or one united start) and deletes its rows; on failure gives them
 * back for later. A `busy` start (conflict `wait`) is given back too: Temporal answered, but the
 * execution it waits for still runs.
 */
async function attempt(
  deps: OutboxDeps,
  delivery: Delivery<WorkflowIntentRow>,
  deadlineMs: number,
  retryCapMs: number,
  peekNext = false,
): Promise<{ outcome: WorkflowIntentOutcome; more: boolean } | undefined> {
  const { sequelize, temporal, logger } = deps;
  const ids = delivery.rows.map((row) => row.id);
  const attempts = Math.max(...delivery.rows.map((row) => row.attempts));
  let outcome: WorkflowIntentOutcome;
  try {
    outcome = await temporal.withDeadline(Date.now() + deadlineMs, () =>
      sendWorkflowIntent(temporal, delivery.intent, ids.length === 1 ? ids[0] : undefined),
    );
  } catch (error) {
    temporalDownUntil.set(temporal, Date.now() + TEMPORAL_DOWN_HOLD_MS);
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    logger?.warn(
      { err: error, intentIds: ids, entityKey: delivery.rows[0]?.entity_key, attempts: attempts + 1 },
      'workflow intent not delivered; the outbox relay retries it',
    );
    await releaseWorkflowIntents(sequelize, {
      ids,
      delayMs: retryDelayMs(attempts, retryCapMs),
      error: message.slice(0, 1000),
    });
    return undefined;
  }
  temporalDownUntil.delete(temporal);
  if (outcome === 'busy') {
    await releaseWorkflowIntents(sequelize, {
      ids,
      delayMs: retryDelayMs(attempts, retryCapMs),
      error: 'an execution of the workflow id is still running; started after it ends',
    });
    return { outcome, more: false };
  }
  // A request's own intent: whether its entity has more is asked in the same statement.
  let more = false;
  if (ids.length === 1 && peekNext) more = await deleteWorkflowIntentPeekingNext(sequelize, ids[0] as string);
  else await deleteWorkflowIntents(sequelize, ids);
  if (delivery.rows.length > 1) {
    logger?.info(
      { workflowId: deliveryWorkflowId(delivery.intent), intents: delivery.rows.length },
      'outbox intents delivered as one start',
    );
  }
  return { outcome, more };
}

const deliveryWorkflowId = (intent: WorkflowIntent) => ('workflowId' in intent ? intent.workflowId : null);

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

/**
 * Right after the commit of the request that recorded it (`recordWorkflowIntentToDeliver`): delivers
 * `recorded`, then the entity's intents that came since; one recorded behind older intents of its
 * entity goes in its turn, as `deliverWorkflowIntentsOf` does. Never throws: what it could not
 * deliver now, the follow-ups and the relay deliver.
 */
export async function deliverRecordedIntent(deps: DeliverDeps, recorded: RecordedIntent): Promise<void> {
  const { id, entityKey, intent } = recorded;
  if (!recorded.leased) {
    await deliverWorkflowIntentsOf(deps, entityKey);
    return;
  }
  try {
    if ((temporalDownUntil.get(deps.temporal) ?? 0) > Date.now()) {
      // Temporal just failed a delivery: the relay takes it from here, at once.
      await releaseWorkflowIntents(deps.sequelize, { ids: [id], delayMs: 0, error: null });
      followUp(deps, entityKey, 0);
      return;
    }
    const row: WorkflowIntentRow = { id, entity_key: entityKey, intent, attempts: 0 };
    const capMs = deps.config.OUTBOX_RETRY_MAX_DELAY_MS;
    const sent = await attempt(deps, { rows: [row], intent }, REQUEST_DEADLINE_MS, capMs, true);
    if (!sent || sent.outcome === 'busy') followUp(deps, entityKey, 0);
    else if (sent.more) await deliverWorkflowIntentsOf(deps, entityKey);
  } catch (error) {
    // The lease lapses and the relay delivers it.
    deps.logger?.warn({ err: error, entityKey }, 'could not deliver a workflow intent now; the relay will');
  }
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
      const sent = await attempt(deps, { rows: [row], intent: row.intent }, REQUEST_DEADLINE_MS, capMs, true);
      if (!sent) {
        followUp(deps, entityKey, round);
        return outcomes;
      }
      outcomes.set(row.id, sent.outcome);
      // A start waiting for a running execution of its id: tried again later, here and by the relay.
      if (sent.outcome === 'busy') {
        followUp(deps, entityKey, round);
        return outcomes;
      }
      if (!sent.more) return outcomes;
    }
  } catch (error) {
    deps.logger?.warn({ err: error, entityKey }, 'could not deliver workflow intents now; the relay will');
    followUp(deps, entityKey, round);
    return outcomes;
  }
}

type RoundOutcome = 'temporal-down' | 'idle' | 'more';

/**
 * One pass of the relay: asks Temporal whether it answers (a cheap call that risks no intent: while
 * it is down nothing is claimed, so no row collects a backoff it would still wait out after the
 * return), claims due intents (the oldest of each entity), plans the deliveries (batched starts of
 * one key united, those first) and sends them. `more` when it should go on at once (more may be
 * due: the next intents of the entities it delivered).
 */
async function relayRound(deps: OutboxDeps, retryCapMs: number): Promise<RoundOutcome> {
  const began = Date.now();
  try {
    await deps.temporal.withDeadline(Date.now() + PROBE_DEADLINE_MS, () =>
      deps.temporal.workflowService.getSystemInfo({}),
    );
  } catch (error) {
    temporalDownUntil.set(deps.temporal, Date.now() + TEMPORAL_DOWN_HOLD_MS);
    deps.logger?.debug({ err: error }, 'Temporal does not answer; the outbox relay waits');
    return 'temporal-down';
  }
  // Temporal answers: requests deliver their own intents at once again.
  temporalDownUntil.delete(deps.temporal);
  const rows = await claimWorkflowIntents(deps.sequelize, {
    limit: RELAY_BATCH,
    leaseSeconds: LEASE_SECONDS,
  });
  const deliveries = planDeliveries(rows);
  if (deliveries.length === 0) return 'idle';
  let next = 0;
  const lane = async () => {
    while (next < deliveries.length && Date.now() - began < ROUND_BUDGET_MS) {
      const delivery = deliveries[next++] as Delivery<WorkflowIntentRow>;
      await attempt(deps, delivery, DELIVERY_DEADLINE_MS, retryCapMs);
    }
  };
  // Every lane ends before the rest is given back: a lane still sending must not see its rows released.
  const lanes = await Promise.allSettled(
    Array.from({ length: Math.min(RELAY_CONCURRENCY, deliveries.length) }, lane),
  );
  // Not started within the round's budget, or left when a lane failed: due again as they were.
  await releaseWorkflowIntents(deps.sequelize, {
    ids: deliveries.slice(next).flatMap((delivery) => delivery.rows.map((row) => row.id)),
    delayMs: 0,
    error: null,
  });
  const failed = lanes.find((outcome) => outcome.status === 'rejected');
  if (failed) throw failed.reason;
  return 'more';
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
    let outcome: RoundOutcome = 'idle';
    try {
      do outcome = await relayRound(deps, config.OUTBOX_RETRY_MAX_DELAY_MS);
      while (!stopped && outcome === 'more');
    } catch (error) {
      logger?.warn({ err: error }, 'the outbox relay could not read the outbox; retrying');
    } finally {
      schedule(
        outcome === 'temporal-down'
          ? Math.min(DOWN_POLL_MS, config.OUTBOX_POLL_INTERVAL_MS)
          : config.OUTBOX_POLL_INTERVAL_MS,
      );
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
