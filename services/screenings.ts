import type { Client } from '@temporalio/client';
import type { Sequelize } from 'sequelize';
import { listMatchEvents, type MatchEventRow, recordExclusionMatchReview } from '../db/match-review-store';
import type { EmployeeRow } from '../db/people-store';
import { requestScreeningRun } from '../db/screening-run-store';
import { type ExclusionMatchView, findExclusionMatch } from '../db/screening-store';
import type { Db } from '../db/sql';
import { hasWorkflowIntents, withWorkflowIntents } from '../db/workflow-outbox-store';
import { ConflictError, InvalidInputError, NotFoundError } from '../domain/errors';
import { normalizeReviewNote } from '../domain/match-review';
import type { Config } from '../lib/config';
import type { Logger } from '../lib/logger';
import {
  SCREENING_TRIGGERS,
  SCREENING_WORKFLOW_TYPE,
  type ScreeningScope,
  screeningWorkflowId,
} from '../lib/workflow-contracts';
import {
  deliverWorkflowIntentsOf,
  type RecordedIntent,
  recordWorkflowIntent,
  recordWorkflowIntentToDeliver,
} from './workflow-outbox';

export interface ScreeningDeps {
  temporal: Client;
  config: Pick<Config, 'TEMPORAL_TASK_QUEUE' | 'OUTBOX_RETRY_MAX_DELAY_MS'>;
}

/** The outbox entity of a person: their screenings are started in the order they were changed. */
export const employeeEntityKey = (employeeId: string) => `employee/${employeeId}`;

/**
 * People per united screening start: a backlog of person changes (Temporal was down) is screened in
 * starts of up to this many people of one organization (lib/workflow-intents.ts `StartBatch`), each
 * one set-based pass in the lists' indexes (db/screening-store.ts, PERSON_MODE_MAX).
 */
export const SCREENING_BATCH_MAX = 500;

/** The outbox entity of an organization's rescreen (POST …/exclusion-screenings). */
export const organizationScreeningEntityKey = (organizationId: string) =>
  `exclusion-screening/organization/${organizationId}`;

/**
 * A running rescreen older than this is not joined: its execution may have been terminated by an
 * operator and never finish its run (a new request then starts after it, if it still runs).
 */
const JOIN_RUNNING_RESCREEN_SECONDS = 6 * 3600;

/**
 * Records, in the transaction `tx` of the person's change, the screening of that version of the
 * person (docs/spec.md §12: delivered by the outbox); the same version never starts twice.
 * Returns the workflow id, and the intent for the request to deliver after its commit.
 */
export async function recordEmployeeScreening(
  tx: Db,
  config: Pick<Config, 'TEMPORAL_TASK_QUEUE'>,
  row: Pick<EmployeeRow, 'id' | 'organization_id' | 'updated_at'>,
): Promise<{ workflowId: string; recorded: RecordedIntent }> {
  const workflowId = screeningWorkflowId('employees', `${row.id}-${new Date(row.updated_at).getTime()}`);
  const scope: ScreeningScope = {
    kind: 'employees',
    organizationId: row.organization_id,
    employeeIds: [row.id],
  };
  const recorded = await recordWorkflowIntentToDeliver(tx, employeeEntityKey(row.id), {
    kind: 'start',
    workflowType: SCREENING_WORKFLOW_TYPE,
    workflowId,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    args: [scope],
    // Screening is idempotent and set-based: a backlog of one organization's people is screened in
    // a few starts (docs/architecture.md, "The outbox").
    batch: {
      key: screeningWorkflowId('employees', row.organization_id),
      field: 'employeeIds',
      max: SCREENING_BATCH_MAX,
    },
  });
  return { workflowId, recorded };
}

/**
 * Rescreens every active person of the organization (docs/spec.md §5, §12): records the screening
 * run and the intent to start it in one transaction, so the request is accepted while Temporal is
 * down and the rescreen starts when it answers. While a rescreen of the organization is requested
 * or running, answers with that one (same run, same workflow id). A start that meets an execution
 * of the id still running waits for its end (intent conflict `wait`): the run it answered with is
 * adopted by the execution started after the request. Joining a run whose start has left the
 * outbox still records a start that uses the running execution: if an operator terminated it, a new
 * one starts and adopts the run (db/screening-run-store.ts), so a rescreen is never held back by an
 * execution that is gone. Returns the workflow id and the run's id.
 */
export async function startOrganizationScreening(
  { temporal, config, sequelize, logger }: ScreeningDeps & { sequelize: Sequelize; logger: Logger },
  organizationId: string,
): Promise<{ workflowId: string; screeningId: string }> {
  const workflowId = screeningWorkflowId('organization', organizationId);
  const scope: ScreeningScope = { kind: 'organization', organizationId };
  const entityKey = organizationScreeningEntityKey(organizationId);
  const run = await withWorkflowIntents(sequelize, async (tx) => {
    const startPending = await hasWorkflowIntents(tx, entityKey);
    const requested = await requestScreeningRun(tx, {
      workflowId,
      organizationId,
      trigger: SCREENING_TRIGGERS[scope.kind],
      joinRunningSeconds: JOIN_RUNNING_RESCREEN_SECONDS,
      startPending,
    });
    // Joining: unless a start is still on its way, make sure an execution runs to fill the run.
    const ensure = !requested.requested && !startPending;
    if (requested.requested || ensure) {
      await recordWorkflowIntent(tx, entityKey, {
        kind: 'start',
        workflowType: SCREENING_WORKFLOW_TYPE,
        workflowId,
        taskQueue: config.TEMPORAL_TASK_QUEUE,
        args: [scope],
        // Joining: the running execution is the answer, a completed one too; one that failed or was
        // terminated is started again.
        ...(requested.requested
          ? { conflict: 'wait' as const }
          : { conflict: 'use-existing' as const, reuse: 'allow-duplicate-failed-only' as const }),
      });
    }
    return { ...requested, recorded: requested.requested || ensure };
  });
  if (run.recorded) await deliverWorkflowIntentsOf({ sequelize, temporal, config, logger }, entityKey);
  return { workflowId, screeningId: run.id };
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
