import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { platformAdminEmails } from '../db/user-store';
import { clearRetryingAlert, insertWorkAlert } from '../db/work-alert-store';
import { temporalUiLink } from '../lib/temporal';
import type { WorkAlertInput, WorkAlertRecorded } from '../lib/workflow-contracts';
import type { ActivityDeps } from './deps';

/** The workflow run that called the activity (these activities are only ever called by workflows). */
function callingRun(): { workflowId: string; runId: string } {
  const execution = Context.current().info.workflowExecution;
  if (!execution) throw new Error('a work alert is recorded by a workflow only');
  return execution;
}

/** What a run that is still going waits on: its pending activities and their attempts. */
async function pendingWork(temporal: Client, workflowId: string, runId: string): Promise<string> {
  try {
    const description = await temporal.workflow.getHandle(workflowId, runId).describe();
    const pending = (description.raw.pendingActivities ?? [])
      // The alert's own activity is no part of the work it reports on.
      .filter((activity) => activity.activityType?.name !== 'recordWorkAlert')
      .map((activity) => `${activity.activityType?.name ?? 'activity'} (attempt ${activity.attempt ?? 1})`);
    return pending.length > 0 ? `still retrying: ${pending.join(', ')}` : 'still running';
  } catch {
    return 'still running';
  }
}

/** docs/spec.md §12: screenings and syncs that fail or keep retrying are recorded and emailed. */
export function createWorkAlertActivities({ config, sequelize, temporal }: ActivityDeps) {
  return {
    /**
     * Records the run's alert (once per run and state) and returns the platform admins to email;
     * the emails' idempotency keys make a retried call send nothing twice.
     */
    async recordWorkAlert(input: WorkAlertInput): Promise<WorkAlertRecorded> {
      const { workflowId, runId } = callingRun();
      // What the run waited on when the alert fired: kept in the heartbeat, so an attempt retried
      // once the outage is over still reports the work that was stuck, not what is pending then.
      const context = Context.current();
      const noted = context.info.heartbeatDetails as string | undefined;
      const reason = input.reason ?? noted ?? (await pendingWork(temporal, workflowId, runId));
      context.heartbeat(reason);
      await insertWorkAlert(sequelize, {
        kind: input.kind,
        workflow_id: workflowId,
        workflow_run_id: runId,
        state: input.state,
        reason: reason.slice(0, 2000),
        organization_id: input.organizationId,
      });
      return {
        recipients: await platformAdminEmails(sequelize),
        temporalUiUrl: temporalUiLink(config, workflowId),
      };
    },

    /** The run that was retrying has finished after all: its status no longer shows the alert. */
    async clearWorkAlert(): Promise<void> {
      const { workflowId, runId } = callingRun();
      await clearRetryingAlert(sequelize, workflowId, runId);
    },
  };
}
