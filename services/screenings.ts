import type { Client } from '@temporalio/client';
import type { Sequelize } from 'sequelize';
import { listMatchEvents, type MatchEventRow, recordExclusionMatchReview } from '../db/match-review-store';
import type { EmployeeRow } from '../db/people-store';
import { claimScreeningRun } from '../db/screening-run-store';
import { type ExclusionMatchView, findExclusionMatch } from '../db/screening-store';
import type { Db } from '../db/sql';
import { ConflictError, InvalidInputError, NotFoundError, UnavailableError } from '../domain/errors';
import { normalizeReviewNote } from '../domain/match-review';
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
 * A reviewer moves a match along its review lifecycle (docs/spec.md §10, domain/match-review.ts):
 * 404 for a match of another organization, 409 naming the allowed statuses for a move the current
 * status does not allow, 422 on `note` when the move needs one. Returns the match with its history.
 */
export async function reviewExclusionMatch(
  sequelize: Sequelize,
  review: Parameters<typeof recordExclusionMatchReview>[1],
): Promise<ExclusionMatchView & { history: MatchEventRow[] }> {
  const note = normalizeReviewNote(review.note);
  const outcome = await recordExclusionMatchReview(sequelize, { ...review, note });
  switch (outcome.kind) {
    case 'missing':
      throw matchNotFound(review.id);
    case 'not_allowed':
      throw new ConflictError(
        outcome.allowed.length > 0
          ? `A ${outcome.from} match cannot move to ${review.status}; allowed: ${outcome.allowed.join(', ')}.`
          : `A ${outcome.from} match cannot be changed.`,
      );
    case 'note_required':
      throw new InvalidInputError(`Moving a ${outcome.from} match to ${review.status} needs a note.`, [
        { path: 'note', message: `required (non-empty) to move a ${outcome.from} match to ${review.status}` },
      ]);
    case 'reviewed':
      return exclusionMatchWithHistory(sequelize, review.organizationId, review.id);
  }
}

const matchNotFound = (id: string) => new NotFoundError(`Exclusion match ${id} was not found.`);

/** One match of the organization with its history (oldest first); 404 for another organization's. */
export async function exclusionMatchWithHistory(
  sequelize: Sequelize,
  organizationId: string,
  id: string,
): Promise<ExclusionMatchView & { history: MatchEventRow[] }> {
  const match = await findExclusionMatch(sequelize, organizationId, id);
  if (!match) throw matchNotFound(id);
  return { ...match, history: await listMatchEvents(sequelize, organizationId, id) };
}
