import type { Client } from '@temporalio/client';
import type { Sequelize } from 'sequelize';
import type { EmployeeRow } from '../db/people-store';
import { claimScreeningRun } from '../db/screening-run-store';
import {
  type ExclusionMatchView,
  findExclusionMatch,
  recordExclusionMatchReview,
} from '../db/screening-store';
import type { Db } from '../db/sql';
import { ConflictError, NotFoundError, UnavailableError } from '../domain/errors';
import type { Config } from '../lib/config';
import type { Logger } from '../lib/logger';
import {
  SCREENING_TRIGGERS,
  SCREENING_WORKFLOW_TYPE,
  type ScreeningScope,
  screeningWorkflowId,
} from '../lib/workflow-contracts';
import { recordWorkflowIntent } from './workflow-outbox';

export interface ScreeningDeps {
  temporal: Client;
  config: Pick<Config, 'TEMPORAL_TASK_QUEUE' | 'OUTBOX_RETRY_MAX_DELAY_MS'>;
}

/** The outbox entity of a person: their screenings are started in the order they were changed. */
export const employeeEntityKey = (employeeId: string) => `employee/${employeeId}`;

/**
 * Records, in the transaction `tx` of the person's change, the screening of that version of the
 * person (docs/spec.md §12: delivered by the outbox); the same version never starts twice.
 * Returns the workflow id.
 */
export async function recordEmployeeScreening(
  tx: Db,
  config: Pick<Config, 'TEMPORAL_TASK_QUEUE'>,
  row: Pick<EmployeeRow, 'id' | 'organization_id' | 'updated_at'>,
): Promise<string> {
  const workflowId = screeningWorkflowId('employees', `${row.id}-${new Date(row.updated_at).getTime()}`);
  const scope: ScreeningScope = {
    kind: 'employees',
    organizationId: row.organization_id,
    employeeIds: [row.id],
  };
  await recordWorkflowIntent(tx, employeeEntityKey(row.id), {
    kind: 'start',
    workflowType: SCREENING_WORKFLOW_TYPE,
    workflowId,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    args: [scope],
  });
  return workflowId;
}

/**
 * Rescreens every active person of the organization; while a rescreen of it runs, answers with the
 * running one (same workflow id). Returns the workflow id and the id of its screening run, claimed
 * here so the caller can link to it before the workflow's first activity runs.
 */
export async function startOrganizationScreening(
  { temporal, config, sequelize, logger }: ScreeningDeps & { sequelize: Sequelize; logger: Logger },
  organizationId: string,
): Promise<{ workflowId: string; screeningId: string }> {
  const workflowId = screeningWorkflowId('organization', organizationId);
  const scope: ScreeningScope = { kind: 'organization', organizationId };
  let workflowRunId: string;
  try {
    const handle = await temporal.workflow.start(SCREENING_WORKFLOW_TYPE, {
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      workflowId,
      args: [scope],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    });
    // With USE_EXISTING the server answers with the running execution's run id.
    workflowRunId = handle.firstExecutionRunId;
  } catch (error) {
    logger.error({ err: error, organizationId }, 'could not start the exclusion screening');
    throw new UnavailableError('The workflow service is unavailable; try again shortly.');
  }
  const screeningId = await claimScreeningRun(sequelize, {
    workflowId,
    workflowRunId,
    organizationId,
    trigger: SCREENING_TRIGGERS[scope.kind],
  });
  return { workflowId, screeningId };
}

/**
 * An admin confirms or dismisses a match, with a note (audited). Resolved matches (their exclusion
 * no longer applies) cannot be reviewed.
 */
export async function reviewExclusionMatch(
  sequelize: Sequelize,
  review: Parameters<typeof recordExclusionMatchReview>[1],
): Promise<ExclusionMatchView> {
  const notFound = () => new NotFoundError(`Exclusion match ${review.id} was not found.`);
  const outcome = await recordExclusionMatchReview(sequelize, review);
  if (outcome === 'missing') throw notFound();
  if (outcome === 'resolved') {
    throw new ConflictError(
      'This match is resolved (its exclusion no longer applies); it cannot be reviewed.',
    );
  }
  const match = await findExclusionMatch(sequelize, review.organizationId, review.id);
  if (!match) throw notFound();
  return match;
}
