import { createHash } from 'node:crypto';

/**
 * The outbox's intents (docs/spec.md §12): what a write records, in its own transaction, to start,
 * signal or cancel a workflow once Temporal answers. Plain JSON with ids only (the workflow inputs
 * of lib/workflow-contracts.ts); stored by db/workflow-outbox-store.ts, delivered by
 * services/workflow-outbox.ts. It imports nothing of the project.
 */

/**
 * Starts that may be delivered together (docs/architecture.md, "The outbox"): starts of one `key`
 * run the same workflow type on the same task queue with one argument that differs only in the id
 * list `field`. When the relay holds several of them at once it delivers them as one start whose
 * `field` is the union of theirs, at most `max` ids.
 */
export interface StartBatch {
  /** The business key, e.g. `exclusion-screening/employees/<orgId>`; prefix of the united start's workflow id. */
  key: string;
  /** The field of `args[0]` holding a list of ids. */
  field: string;
  /** Ids of one united start, at most. */
  max: number;
}

export type WorkflowIntent =
  /** Start a workflow; an execution already started under the id counts as delivered. */
  | {
      kind: 'start';
      workflowType: string;
      workflowId: string;
      taskQueue: string;
      args: unknown[];
      /**
       * `use-existing`: a running execution of the id is the answer (workflowIdConflictPolicy).
       * `wait`: while an execution of the id runs, the intent waits (retried) and starts a new one
       * after it ended — the start's own work must not be merged into work that began before it.
       */
      conflict?: 'fail' | 'use-existing' | 'wait';
      /**
       * `reject-duplicate`: never start the id again once an execution of it has closed;
       * `allow-duplicate-failed-only`: again only after one that failed, timed out or was terminated.
       */
      reuse?: 'allow-duplicate' | 'allow-duplicate-failed-only' | 'reject-duplicate';
      /** May be delivered together with other starts of the same key. */
      batch?: StartBatch;
    }
  /** Signal the workflow, starting it with `args` when it is not running. */
  | {
      kind: 'signalWithStart';
      workflowType: string;
      workflowId: string;
      taskQueue: string;
      args: unknown[];
      signal: string;
      signalArgs: unknown[];
    }
  /** Signal a running workflow; one that has ended has nothing left to do with it. */
  | { kind: 'signal'; workflowId: string; signal: string; signalArgs: unknown[] }
  /** Request the workflow's cancellation (a real Temporal cancellation); one that ended is left alone. */
  | { kind: 'cancel'; workflowId: string };

/**
 * What a delivered intent met: `not-running` is a signal to a workflow that has already ended;
 * `busy` a `wait` start whose id is still running (not delivered: it is tried again later).
 */
export type WorkflowIntentOutcome = 'delivered' | 'already-started' | 'not-running' | 'busy';

/** An outbox row as the relay sees it. */
export interface PendingIntent {
  id: string;
  intent: WorkflowIntent;
}

/** One call to Temporal: the intent to send and the outbox rows it delivers. */
export interface Delivery<T extends PendingIntent = PendingIntent> {
  rows: T[];
  intent: WorkflowIntent;
}

type BatchedStart = Extract<WorkflowIntent, { kind: 'start' }> & { batch: StartBatch };

function batchOf(intent: WorkflowIntent): BatchedStart | null {
  if (intent.kind !== 'start' || !intent.batch) return null;
  if (intent.conflict !== undefined && intent.conflict !== 'fail') return null;
  const { batch, args } = intent;
  const first = args[0] as Record<string, unknown> | undefined;
  if (args.length !== 1 || !first || !Array.isArray(first[batch.field])) return null;
  if (!Number.isInteger(batch.max) || batch.max < 1) return null;
  return intent as BatchedStart;
}

/** What must be equal for two batched starts to be united: everything but the id list. */
function likeness(intent: BatchedStart): string {
  const { field } = intent.batch;
  const { [field]: _ids, ...rest } = intent.args[0] as Record<string, unknown>;
  return JSON.stringify([
    intent.batch.key,
    intent.batch.field,
    intent.batch.max,
    intent.workflowType,
    intent.taskQueue,
    rest,
  ]);
}

/**
 * The workflow id of a united start: a function of exactly the outbox rows it delivers, so a
 * relay that crashed after the start and before deleting them meets "already started" when it
 * claims the same rows again (docs/architecture.md, "The outbox").
 */
export function unitedWorkflowId(key: string, outboxIds: readonly string[]): string {
  const sorted = [...outboxIds].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0));
  const digest = createHash('sha256').update(sorted.join(',')).digest('hex').slice(0, 16);
  return `${key}/outbox-${sorted[0]}-${sorted.length}-${digest}`;
}

/**
 * The deliveries of claimed rows (each the oldest of its entity, so uniting them never reorders
 * an entity's intents): starts of one batch key and alike are united, up to the key's `max` ids
 * per start, in the rows' order; every other row is delivered alone. United deliveries come first
 * (each delivers many rows in one call), then the others in the rows' order.
 */
export function planDeliveries<T extends PendingIntent>(rows: readonly T[]): Delivery<T>[] {
  const groups = new Map<string, { intent: BatchedStart; rows: T[]; ids: Set<string> }[]>();
  const alone: Delivery<T>[] = [];
  for (const row of rows) {
    const intent = batchOf(row.intent);
    if (!intent) {
      alone.push({ rows: [row], intent: row.intent });
      continue;
    }
    const ids = (intent.args[0] as Record<string, unknown>)[intent.batch.field] as unknown[];
    const like = likeness(intent);
    const open = groups.get(like) ?? [];
    groups.set(like, open);
    let group = open[open.length - 1];
    const added = ids.filter((id) => !group?.ids.has(String(id))).length;
    if (!group || group.ids.size + added > intent.batch.max) {
      group = { intent, rows: [], ids: new Set() };
      open.push(group);
    }
    group.rows.push(row);
    for (const id of ids) group.ids.add(String(id));
  }
  const united: Delivery<T>[] = [];
  for (const group of [...groups.values()].flat()) {
    if (group.rows.length === 1) {
      alone.push({ rows: group.rows, intent: (group.rows[0] as T).intent });
      continue;
    }
    const { batch, args, ...start } = group.intent;
    united.push({
      rows: group.rows,
      intent: {
        ...start,
        workflowId: unitedWorkflowId(
          batch.key,
          group.rows.map((row) => row.id),
        ),
        args: [{ ...(args[0] as Record<string, unknown>), [batch.field]: [...group.ids] }],
        // The id is new for every set of rows: an execution of it, running or closed, delivered them.
        conflict: 'fail',
        reuse: 'reject-duplicate',
      },
    });
  }
  const firstId = (delivery: Delivery<T>) => BigInt((delivery.rows[0] as T).id);
  const byFirstRow = (a: Delivery<T>, b: Delivery<T>) => (firstId(a) < firstId(b) ? -1 : 1);
  return [...united.sort(byFirstRow), ...alone.sort(byFirstRow)];
}
