import type { Sequelize, Transaction } from 'sequelize';
import type { WorkflowIntent } from '../lib/workflow-intents';
import { type Db, execute, inTransaction, query, queryOne } from './sql';

/**
 * Every statement on `workflow_outbox` (docs/spec.md §12): intents to start or signal a workflow,
 * written in the transaction of the change that needs them and deleted once delivered.
 */

export interface WorkflowIntentRow {
  id: string;
  entity_key: string;
  intent: WorkflowIntent;
  attempts: number;
}

/**
 * Runs `work` — a change and the intents it needs (`insertWorkflowIntent(tx, …)`) — in one
 * transaction: both are committed or neither.
 */
export function withWorkflowIntents<T>(
  sequelize: Sequelize,
  work: (tx: Transaction) => Promise<T>,
): Promise<T> {
  return inTransaction(sequelize, work);
}

/** Records the intent; call it with the transaction of the write that needs it. Returns its id. */
export async function insertWorkflowIntent(
  db: Db,
  entityKey: string,
  intent: WorkflowIntent,
): Promise<string> {
  const row = await queryOne<{ id: string }>(
    db,
    `INSERT INTO workflow_outbox (entity_key, intent) VALUES ($entityKey, $intent::jsonb) RETURNING id::text AS id`,
    { entityKey, intent: JSON.stringify(intent) },
  );
  if (!row) throw new Error('the outbox insert returned no row');
  return row.id;
}

/**
 * `insertWorkflowIntent` for a request that delivers the intent itself after its commit: the row is
 * leased to it for `leaseSeconds` when it is its entity's only intent (`leased`), so the request
 * sends it by id without claiming it and a relay leaves it alone until the lease lapses; behind an
 * older intent of its entity it waits its turn unleased. The check cannot see another transaction's
 * uncommitted intent: the caller's transaction must lock its entity first (a person's write locks
 * the person's row), or two intents of one entity could both be leased and sent out of order. The
 * lease runs from the insert, so it must outlast the rest of the transaction as well.
 */
export async function insertWorkflowIntentForRequest(
  db: Db,
  entityKey: string,
  intent: WorkflowIntent,
  leaseSeconds: number,
): Promise<{ id: string; leased: boolean }> {
  const row = await queryOne<{ id: string; leased: boolean }>(
    db,
    `INSERT INTO workflow_outbox (entity_key, intent, leased_until)
     SELECT $entityKey, $intent::jsonb,
       CASE WHEN EXISTS (SELECT 1 FROM workflow_outbox WHERE entity_key = $entityKey) THEN NULL
            ELSE clock_timestamp() + make_interval(secs => $leaseSeconds) END
     RETURNING id::text AS id, leased_until IS NOT NULL AS leased`,
    { entityKey, intent: JSON.stringify(intent), leaseSeconds },
  );
  if (!row) throw new Error('the outbox insert returned no row');
  return row;
}

/** Whether any intent of `entityKey` waits in the outbox (claimed or not). */
export async function hasWorkflowIntents(db: Db, entityKey: string): Promise<boolean> {
  const row = await queryOne<{ pending: boolean }>(
    db,
    'SELECT EXISTS (SELECT 1 FROM workflow_outbox WHERE entity_key = $entityKey) AS pending',
    { entityKey },
  );
  return row?.pending ?? false;
}

/**
 * Claims up to `limit` due intents for `leaseSeconds`, oldest first, each the oldest row of its
 * entity (so one entity's intents are delivered one after another, in order), skipping rows another
 * relay holds. With `entityKey`, only that entity's.
 */
export async function claimWorkflowIntents(
  db: Db,
  options: { limit: number; leaseSeconds: number; entityKey?: string },
): Promise<WorkflowIntentRow[]> {
  const rows = await query<WorkflowIntentRow>(
    db,
    `WITH heads AS (
       SELECT o.id FROM workflow_outbox o
       WHERE o.next_attempt_at <= now()
         AND (o.leased_until IS NULL OR o.leased_until < now())
         AND ($entityKey::text IS NULL OR o.entity_key = $entityKey::text)
         AND NOT EXISTS (SELECT 1 FROM workflow_outbox p WHERE p.entity_key = o.entity_key AND p.id < o.id)
       ORDER BY o.id
       LIMIT $limit
       FOR UPDATE OF o SKIP LOCKED
     )
     UPDATE workflow_outbox w SET leased_until = now() + make_interval(secs => $leaseSeconds)
     FROM heads WHERE w.id = heads.id
     RETURNING w.id::text AS id, w.entity_key, w.intent, w.attempts`,
    { limit: options.limit, leaseSeconds: options.leaseSeconds, entityKey: options.entityKey ?? null },
  );
  return rows.sort((a, b) => Number(BigInt(a.id) - BigInt(b.id)));
}

/** The intent reached Temporal: it is gone from the outbox. */
export async function deleteWorkflowIntent(db: Db, id: string): Promise<void> {
  await deleteWorkflowIntents(db, [id]);
}

/** The intents reached Temporal (one united start, docs/architecture.md "The outbox"). */
export async function deleteWorkflowIntents(db: Db, ids: readonly string[]): Promise<void> {
  await execute(db, 'DELETE FROM workflow_outbox WHERE id = ANY($ids::bigint[])', { ids: [...ids] });
}

/**
 * The request's own intent reached Temporal: deletes it and says whether more intents of its
 * entity wait (the request goes on with them; usually none, and no further claim is needed).
 */
export async function deleteWorkflowIntentPeekingNext(db: Db, id: string): Promise<boolean> {
  const row = await queryOne<{ more: boolean }>(
    db,
    `WITH gone AS (DELETE FROM workflow_outbox WHERE id = $id::bigint RETURNING entity_key)
     SELECT EXISTS (
       SELECT 1 FROM workflow_outbox o JOIN gone ON o.entity_key = gone.entity_key WHERE o.id <> $id::bigint
     ) AS more`,
    { id },
  );
  return row?.more ?? false;
}

/**
 * Gives a claimed intent back: due again after `delayMs`; `error` (a failed attempt) is counted and
 * kept, a release without an attempt (the relay stopped its round) is not.
 */
export async function releaseWorkflowIntent(
  db: Db,
  release: { id: string; delayMs: number; error: string | null },
): Promise<void> {
  await releaseWorkflowIntents(db, { ids: [release.id], delayMs: release.delayMs, error: release.error });
}

/** `releaseWorkflowIntent` of several claimed intents at once. */
export async function releaseWorkflowIntents(
  db: Db,
  release: { ids: readonly string[]; delayMs: number; error: string | null },
): Promise<void> {
  if (release.ids.length === 0) return;
  await execute(
    db,
    `UPDATE workflow_outbox SET leased_until = NULL,
       next_attempt_at = now() + make_interval(secs => $delayMs::double precision / 1000),
       attempts = attempts + CASE WHEN $error::text IS NULL THEN 0 ELSE 1 END,
       last_error = COALESCE($error::text, last_error)
     WHERE id = ANY($ids::bigint[])`,
    { ids: [...release.ids], delayMs: release.delayMs, error: release.error },
  );
}

/** How many intents wait, and the age of the oldest in seconds (operations, /ready, tests). */
export async function workflowOutboxBacklog(
  db: Db,
): Promise<{ pending: number; oldestSeconds: number | null }> {
  const row = await queryOne<{ pending: number; oldest_seconds: number | null }>(
    db,
    `SELECT count(*)::int AS pending,
       extract(epoch FROM now() - min(created_at))::float8 AS oldest_seconds
     FROM workflow_outbox`,
  );
  return { pending: row?.pending ?? 0, oldestSeconds: row?.oldest_seconds ?? null };
}
