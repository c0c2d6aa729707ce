import type { WorkAlertKind, WorkAlertState } from '../lib/workflow-contracts';
import { type Db, execute, queryOne } from './sql';

/** Every statement on `work_alerts` (docs/spec.md §12): screenings and syncs that failed or keep retrying. */

export interface WorkAlertRow {
  id: string;
  kind: WorkAlertKind;
  workflow_id: string;
  workflow_run_id: string;
  state: WorkAlertState;
  reason: string;
  organization_id: string | null;
  since: Date;
  cleared_at: Date | null;
}

const COLUMNS = 'id, kind, workflow_id, workflow_run_id, state, reason, organization_id, since, cleared_at';

/** Records the alert once per run and state; undefined when it was already recorded (a retry). */
export function insertWorkAlert(
  db: Db,
  alert: Pick<
    WorkAlertRow,
    'kind' | 'workflow_id' | 'workflow_run_id' | 'state' | 'reason' | 'organization_id'
  >,
): Promise<WorkAlertRow | undefined> {
  return queryOne<WorkAlertRow>(
    db,
    `INSERT INTO work_alerts (kind, workflow_id, workflow_run_id, state, reason, organization_id)
     VALUES ($kind, $workflowId, $runId, $state, $reason, $organizationId)
     ON CONFLICT (workflow_id, workflow_run_id, state) DO NOTHING
     RETURNING ${COLUMNS}`,
    {
      kind: alert.kind,
      workflowId: alert.workflow_id,
      runId: alert.workflow_run_id,
      state: alert.state,
      reason: alert.reason,
      organizationId: alert.organization_id,
    },
  );
}

/** The run that was retrying has finished: its `retrying` alert no longer shows. */
export async function clearRetryingAlert(db: Db, workflowId: string, runId: string): Promise<void> {
  await execute(
    db,
    `UPDATE work_alerts SET cleared_at = now()
     WHERE workflow_id = $workflowId AND workflow_run_id = $runId AND state = 'retrying' AND cleared_at IS NULL`,
    { workflowId, runId },
  );
}

/** The open alert of one workflow run (the failure wins over the retrying that preceded it). */
export function openWorkAlert(db: Db, workflowId: string, runId: string): Promise<WorkAlertRow | undefined> {
  return queryOne<WorkAlertRow>(
    db,
    `SELECT ${COLUMNS} FROM work_alerts
     WHERE workflow_id = $workflowId AND workflow_run_id = $runId AND cleared_at IS NULL
     ORDER BY state = 'failed' DESC, since DESC LIMIT 1`,
    { workflowId, runId },
  );
}

/** The newest run of a kind that is still retrying (GET /v1/oig/status shows the sync's). */
export function openRetryingAlert(db: Db, kind: WorkAlertKind): Promise<WorkAlertRow | undefined> {
  return queryOne<WorkAlertRow>(
    db,
    `SELECT ${COLUMNS} FROM work_alerts WHERE kind = $kind AND state = 'retrying' AND cleared_at IS NULL
     ORDER BY since DESC LIMIT 1`,
    { kind },
  );
}
