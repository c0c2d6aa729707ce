import type { ScreeningRunStatus, ScreeningScope, ScreeningTrigger } from '../lib/workflow-contracts';
import { scopeSql } from './screening-match-sql';
import { type Db, execute, query, queryOne } from './sql';

/**
 * Screening runs (docs/spec.md §10): every statement on screening_runs.
 */

export interface ScreeningRunRow {
  id: string;
  organization_id: string | null;
  trigger: ScreeningTrigger;
  status: ScreeningRunStatus;
  /** Source id → the check id of the list version screened against. */
  list_versions: Record<string, string>;
  people_screened: number | null;
  matches_opened: number | null;
  matches_resolved: number | null;
  error: string | null;
  workflow_id: string;
  /** Null while a requested run waits in the outbox for its execution (migration 1840). */
  workflow_run_id: string | null;
  started_at: Date;
  finished_at: Date | null;
}

interface RunKey {
  workflowId: string;
  workflowRunId: string;
  organizationId: string | null;
  trigger: ScreeningTrigger;
}

const UPSERT_RUN = `
INSERT INTO screening_runs AS r (organization_id, trigger, workflow_id, workflow_run_id)
VALUES ($organizationId, $trigger, $workflowId, $workflowRunId)
ON CONFLICT (workflow_id, workflow_run_id) DO UPDATE SET updated_at = r.updated_at
RETURNING r.id`;

/**
 * The run an execution has already claimed; else it adopts an unfinished run of its workflow id —
 * the requested one, else the latest left by an execution that ended without finishing it
 * (terminated, timed out: only one execution of an id runs at a time, so such a run's execution is
 * gone), whose requests it thereby answers. Any other run a dead execution left is closed as
 * failed, never left `running` for ever.
 */
const ADOPT_RUN = `
WITH claimed AS (
  SELECT id FROM screening_runs WHERE workflow_id = $workflowId AND workflow_run_id = $workflowRunId
), candidate AS (
  SELECT id FROM screening_runs
  WHERE workflow_id = $workflowId AND finished_at IS NULL AND workflow_run_id IS DISTINCT FROM $workflowRunId
    AND NOT EXISTS (SELECT 1 FROM claimed)
  ORDER BY workflow_run_id IS NULL DESC, started_at DESC LIMIT 1
), adopted AS (
  UPDATE screening_runs SET workflow_run_id = $workflowRunId, started_at = now(), updated_at = now()
  -- Checked again on the row: a request may have closed it while this waited for its lock.
  WHERE id IN (SELECT id FROM candidate) AND finished_at IS NULL
  RETURNING id
), abandoned AS (
  UPDATE screening_runs SET status = 'failed', error = $abandonedError, finished_at = now(), updated_at = now()
  WHERE workflow_id = $workflowId AND finished_at IS NULL
    AND workflow_run_id IS NOT NULL AND workflow_run_id <> $workflowRunId
    AND id NOT IN (SELECT id FROM candidate)
)
SELECT id FROM claimed UNION ALL SELECT id FROM adopted`;

const ABANDONED_RUN_ERROR =
  'Its workflow execution ended before it finished the run (terminated or timed out); a later execution of the same workflow id screened in another run.';
const NEVER_STARTED_RUN_ERROR =
  'No workflow execution recorded this requested run within the join window; a later request replaced it.';

/**
 * The run of one workflow execution: the one it claimed before (a retried activity), else the run
 * requested for its workflow id (`requestScreeningRun`, the API answered with its id) or one a dead
 * execution of the id left unfinished (`ADOPT_RUN`), else a new one. Every execution gets exactly one.
 */
export async function claimScreeningRun(db: Db, key: RunKey): Promise<string> {
  const adopted = await queryOne<{ id: string }>(db, ADOPT_RUN, {
    workflowId: key.workflowId,
    workflowRunId: key.workflowRunId,
    abandonedError: ABANDONED_RUN_ERROR,
  });
  if (adopted) return adopted.id;
  const row = await queryOne<{ id: string }>(db, UPSERT_RUN, { ...key });
  if (!row) throw new Error('the screening run upsert returned no row');
  return row.id;
}

/**
 * `POST …/exclusion-screenings` (docs/spec.md §5, §12), in the transaction that records the intent
 * to start the workflow: the unfinished run of `workflowId` when there is one — started within
 * `joinRunningSeconds`, or requested while its start still waits in the outbox (`startPending`) —
 * else a new requested run (`requested: true`: the caller records the start). A requested run past
 * that window with no start waiting was never adopted (its execution ended before its first
 * activity): it is closed as failed, so it cannot hold later requests for ever. Two requests at
 * once get the same run (a transaction-scoped lock on the workflow id).
 */
export async function requestScreeningRun(
  tx: Db,
  key: Omit<RunKey, 'workflowRunId'> & { joinRunningSeconds: number; startPending: boolean },
): Promise<{ id: string; requested: boolean }> {
  const window = {
    workflowId: key.workflowId,
    joinRunningSeconds: key.joinRunningSeconds,
    startPending: key.startPending,
  };
  await query(tx, `SELECT pg_advisory_xact_lock(hashtext('screening_runs/' || $workflowId))`, window);
  await execute(
    tx,
    `UPDATE screening_runs SET status = 'failed', error = $error, finished_at = now(), updated_at = now()
     WHERE workflow_id = $workflowId AND workflow_run_id IS NULL AND finished_at IS NULL
       AND started_at <= now() - make_interval(secs => $joinRunningSeconds) AND NOT $startPending`,
    { ...window, error: NEVER_STARTED_RUN_ERROR },
  );
  const open = await queryOne<{ id: string }>(
    tx,
    `SELECT id FROM screening_runs
     WHERE workflow_id = $workflowId AND finished_at IS NULL
       AND (started_at > now() - make_interval(secs => $joinRunningSeconds)
            OR (workflow_run_id IS NULL AND $startPending))
     ORDER BY workflow_run_id IS NULL DESC, started_at DESC LIMIT 1`,
    window,
  );
  if (open) return { id: open.id, requested: false };
  const row = await queryOne<{ id: string }>(
    tx,
    `INSERT INTO screening_runs (organization_id, trigger, workflow_id, workflow_run_id)
     VALUES ($organizationId, $trigger, $workflowId, NULL) RETURNING id`,
    { organizationId: key.organizationId, trigger: key.trigger, workflowId: key.workflowId },
  );
  if (!row) throw new Error('the screening run insert returned no row');
  return { id: row.id, requested: true };
}

/** Records what a run screens: the list versions in force and how many active people are in scope. */
export async function recordScreeningRunStart(
  db: Db,
  key: RunKey & { scope: ScreeningScope; listVersions: Record<string, string> },
): Promise<string> {
  const id = await claimScreeningRun(db, key);
  const sql = scopeSql(key.scope);
  await execute(
    db,
    `UPDATE screening_runs SET list_versions = $listVersions::jsonb, status = 'running', updated_at = now(),
       people_screened = (SELECT count(*)::int FROM employees e WHERE e.status = 'active' AND ${sql.employees})
     WHERE id = $id`,
    { ...sql.bind, id, listVersions: JSON.stringify(key.listVersions) },
  );
  return id;
}

export async function finishScreeningRun(
  db: Db,
  outcome: {
    id: string;
    status: Exclude<ScreeningRunStatus, 'running'>;
    error: string | null;
    matchesOpened: number | null;
    matchesResolved: number | null;
  },
): Promise<void> {
  await execute(
    db,
    `UPDATE screening_runs SET status = $status, error = $error, matches_opened = $matchesOpened,
       matches_resolved = $matchesResolved, finished_at = now(), updated_at = now()
     WHERE id = $id`,
    { ...outcome },
  );
}

const RUN_COLUMNS = `id, organization_id, trigger, status, list_versions, people_screened, matches_opened,
  matches_resolved, error, workflow_id, workflow_run_id, started_at, finished_at`;

export function findScreeningRun(
  db: Db,
  organizationId: string,
  id: string,
): Promise<ScreeningRunRow | undefined> {
  return queryOne<ScreeningRunRow>(
    db,
    `SELECT ${RUN_COLUMNS} FROM screening_runs WHERE organization_id = $organizationId AND id = $id`,
    { organizationId, id },
  );
}

/**
 * The organization's latest run that compared people against a loaded list: its own, or a list-wide
 * one started after the organization was created (an earlier one screened none of its people).
 */
export function lastSucceededRun(db: Db, organizationId: string): Promise<ScreeningRunRow | undefined> {
  return queryOne<ScreeningRunRow>(
    db,
    `SELECT ${RUN_COLUMNS} FROM screening_runs
     WHERE status = 'succeeded' AND (organization_id = $organizationId OR organization_id IS NULL)
       AND started_at >= (SELECT created_at FROM organizations WHERE id = $organizationId)
     ORDER BY started_at DESC LIMIT 1`,
    { organizationId },
  );
}

/**
 * The runs that screened the organization's people and started in [start, end), oldest first: its
 * own, and the list-wide ones (monthly, list updates) started after it was created.
 */
export function listRunsForReport(
  db: Db,
  organizationId: string,
  start: Date,
  end: Date,
): Promise<ScreeningRunRow[]> {
  return query<ScreeningRunRow>(
    db,
    `SELECT ${RUN_COLUMNS} FROM screening_runs
     WHERE (organization_id = $organizationId
            OR (organization_id IS NULL AND started_at >= (SELECT created_at FROM organizations WHERE id = $organizationId)))
       AND started_at >= $start AND started_at < $end
     ORDER BY started_at, id`,
    { organizationId, start, end },
  );
}
