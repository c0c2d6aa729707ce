import { type Client, ScheduleAlreadyRunning, ScheduleOverlapPolicy } from '@temporalio/client';
import type { Config } from '../lib/config';
import { screeningSearchAttributes } from '../lib/search-attributes';
import { SCREENING_WORKFLOW_TYPE, type ScreeningScope, screeningWorkflowId } from '../lib/workflow-contracts';

export const WEEKLY_RESCREEN_SCHEDULE_ID = 'exclusion-weekly-rescreen';
/** Sundays 07:00 UTC: after the daily OIG sync (06:00), outside business hours. */
export const WEEKLY_RESCREEN_CRON = '0 7 * * 0';

/**
 * The safety net of docs/spec.md §4.5: everyone against the whole list once a week, whatever triggers were
 * missed. Created when the worker starts, or brought up to date if it exists (same id, so never two).
 * Overlap SKIP: a rescreen still running when the next one is due is not doubled.
 */
export async function ensureWeeklyRescreenSchedule(
  client: Client,
  config: Pick<Config, 'TEMPORAL_TASK_QUEUE'>,
  options: { scheduleId?: string; cron?: string } = {},
): Promise<'created' | 'updated'> {
  const scheduleId = options.scheduleId ?? WEEKLY_RESCREEN_SCHEDULE_ID;
  const scope: ScreeningScope = { kind: 'all' };
  const spec = { cronExpressions: [options.cron ?? WEEKLY_RESCREEN_CRON] };
  const action = {
    type: 'startWorkflow' as const,
    workflowType: SCREENING_WORKFLOW_TYPE,
    args: [scope],
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    // The server appends the scheduled time, so every weekly run has its own id (and alert keys).
    workflowId: screeningWorkflowId('all', 'weekly'),
    typedSearchAttributes: screeningSearchAttributes(scope),
  };
  const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' as const };
  try {
    await client.schedule.create({ scheduleId, spec, action, policies });
    return 'created';
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  }
  await client.schedule.getHandle(scheduleId).update((previous) => ({ ...previous, spec, action, policies }));
  return 'updated';
}
