import {
  type Client,
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
} from '@temporalio/client';
import type { Config } from '../lib/config';
import {
  MONTHLY_SCREENING_SCHEDULE_ID,
  MONTHLY_SCREENING_WORKFLOW_TYPE,
  type MonthlyScreeningInput,
} from '../lib/monthly-screening-contract';

/** The hard-coded weekly rescreen that `monthly-screening` replaces; removed when a worker starts. */
export const RETIRED_WEEKLY_SCHEDULE_ID = 'exclusion-weekly-rescreen';

/**
 * The full rescreen of docs/spec.md §10 (trigger `monthly`): the `monthlyScreening` workflow
 * rescreens every active organization, each in a screening run of its own, on
 * `MONTHLY_SCREENING_CRON` (UTC; by default the 1st at 08:00, after the daily OIG sync), whatever
 * person, import or list triggers were missed. Created when the worker
 * starts, or brought up to date if it exists (same id, so never two). Overlap SKIP: a rescreen still
 * running when the next one is due is not doubled.
 */
export async function ensureMonthlyScreeningSchedule(
  client: Client,
  config: Pick<Config, 'TEMPORAL_TASK_QUEUE' | 'MONTHLY_SCREENING_CRON'>,
  options: { scheduleId?: string } = {},
): Promise<'created' | 'updated'> {
  const scheduleId = options.scheduleId ?? MONTHLY_SCREENING_SCHEDULE_ID;
  const input: MonthlyScreeningInput = {};
  const spec = { cronExpressions: [config.MONTHLY_SCREENING_CRON], timezone: 'UTC' };
  const action = {
    type: 'startWorkflow' as const,
    workflowType: MONTHLY_SCREENING_WORKFLOW_TYPE,
    args: [input],
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    // The server appends the scheduled time, so every month's run (and its children) has its own id.
    workflowId: MONTHLY_SCREENING_SCHEDULE_ID,
  };
  const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' as const };
  let outcome: 'created' | 'updated' = 'created';
  try {
    await client.schedule.create({ scheduleId, spec, action, policies });
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    await client.schedule
      .getHandle(scheduleId)
      .update((previous) => ({ ...previous, spec, action, policies }));
    outcome = 'updated';
  }
  if (!options.scheduleId) await deleteRetiredWeeklySchedule(client);
  return outcome;
}

/** Deletes the weekly rescreen Schedule of earlier releases; already gone is fine. */
export async function deleteRetiredWeeklySchedule(client: Client, scheduleId = RETIRED_WEEKLY_SCHEDULE_ID) {
  try {
    await client.schedule.getHandle(scheduleId).delete();
    return 'deleted' as const;
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) return 'absent' as const;
    throw error;
  }
}
