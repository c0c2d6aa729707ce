import {
  type Client,
  ScheduleAlreadyRunning,
  type ScheduleOptionsAction,
  ScheduleOverlapPolicy,
  type ScheduleSpec,
} from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import type { Config } from '../lib/config';
import { searchAttributesOfStart } from '../lib/search-attributes';
import {
  OIG_SCHEDULE_ID,
  OIG_SYNC_WORKFLOW_TYPE,
  type OigSyncInput,
  oigScheduledSyncWorkflowId,
} from '../lib/workflow-contracts';

/**
 * A run missed while Temporal was down is still made up within this window; a shorter one than the
 * daily period, so a late catch-up never lands on top of the next day's run.
 */
const CATCHUP_WINDOW: Duration = '12 hours';

/**
 * Creates the `oig-daily-sync` Schedule, or brings an existing one in line with the configuration
 * (cron, task queue, policies) — idempotent, called at every worker start. The cron is UTC.
 * Returns whether it was created or updated.
 */
export async function ensureOigSchedule(
  client: Client,
  config: Pick<Config, 'OIG_SYNC_CRON' | 'TEMPORAL_TASK_QUEUE'>,
): Promise<'created' | 'updated'> {
  const spec: ScheduleSpec = { cronExpressions: [config.OIG_SYNC_CRON], timezone: 'UTC' };
  const input: OigSyncInput = { trigger: 'schedule', force: false };
  const action: ScheduleOptionsAction = {
    type: 'startWorkflow',
    workflowType: OIG_SYNC_WORKFLOW_TYPE,
    workflowId: oigScheduledSyncWorkflowId(),
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    args: [input],
    typedSearchAttributes: searchAttributesOfStart(OIG_SYNC_WORKFLOW_TYPE, [input]),
  };
  const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: CATCHUP_WINDOW };
  try {
    await client.schedule.create({ scheduleId: OIG_SCHEDULE_ID, spec, action, policies });
    return 'created';
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  }
  await client.schedule.getHandle(OIG_SCHEDULE_ID).update((previous) => ({
    ...previous,
    spec,
    action,
    policies: { ...previous.policies, ...policies },
  }));
  return 'updated';
}
