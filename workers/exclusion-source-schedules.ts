import {
  type Client,
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  type ScheduleOptionsAction,
  ScheduleOverlapPolicy,
  type ScheduleSpec,
} from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import { scheduledSources, sourceSyncCron } from '../domain/exclusion-sources/settings';
import { EXCLUSION_SOURCE_IDS } from '../domain/exclusion-sources/source';
import type { Config } from '../lib/config';
import {
  EXCLUSION_SOURCE_SYNC_WORKFLOW_TYPE,
  EXCLUSION_SOURCE_WATCH_SCHEDULE_ID,
  EXCLUSION_SOURCE_WATCH_WORKFLOW_TYPE,
  type ExclusionSourceSyncInput,
  exclusionSourceScheduleId,
  exclusionSourceSyncWorkflowId,
} from '../lib/exclusion-source-contract';
import { searchAttributesOfStart } from '../lib/search-attributes';

/** As for `oig-daily-sync`: a missed run is made up within half the daily period. */
const CATCHUP_WINDOW: Duration = '12 hours';

/**
 * One Schedule `exclusion-source-sync-<id>` per enabled, configured non-LEIE source (docs/spec.md
 * §8; the LEIE keeps `oig-daily-sync`), created or brought in line with the configuration at every
 * worker start; the Schedule of a source disabled or unconfigured since is deleted, so nothing
 * syncs a list nobody screens against. Returns what was done per source.
 */
export async function ensureExclusionSourceSchedules(
  client: Client,
  config: Config,
): Promise<Record<string, 'created' | 'updated' | 'deleted' | 'absent'>> {
  const wanted = new Set<string>(scheduledSources(config));
  const done: Record<string, 'created' | 'updated' | 'deleted' | 'absent'> = {};
  for (const id of EXCLUSION_SOURCE_IDS) {
    if (id === 'leie') continue;
    const scheduleId = exclusionSourceScheduleId(id);
    if (!wanted.has(id)) {
      try {
        await client.schedule.getHandle(scheduleId).delete();
        done[id] = 'deleted';
      } catch (error) {
        if (!(error instanceof ScheduleNotFoundError)) throw error;
        done[id] = 'absent';
      }
      continue;
    }
    const spec: ScheduleSpec = { cronExpressions: [sourceSyncCron(config, id)], timezone: 'UTC' };
    const input: ExclusionSourceSyncInput = { sourceId: id, trigger: 'schedule', force: false };
    const action: ScheduleOptionsAction = {
      type: 'startWorkflow',
      workflowType: EXCLUSION_SOURCE_SYNC_WORKFLOW_TYPE,
      workflowId: exclusionSourceSyncWorkflowId(id, 'schedule'),
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      args: [input],
      typedSearchAttributes: searchAttributesOfStart(EXCLUSION_SOURCE_SYNC_WORKFLOW_TYPE, [input]),
    };
    const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: CATCHUP_WINDOW };
    try {
      await client.schedule.create({ scheduleId, spec, action, policies });
      done[id] = 'created';
      continue;
    } catch (error) {
      if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    }
    await client.schedule.getHandle(scheduleId).update((previous) => ({
      ...previous,
      spec,
      action,
      policies: { ...previous.policies, ...policies },
    }));
    done[id] = 'updated';
  }
  return done;
}

/** Hourly: a failed or stale list reaches platform admins within the hour (docs/spec.md §8). */
const WATCH_CRON = '17 * * * *';

/** Creates the `exclusion-source-watch` Schedule, or brings it in line (idempotent, every worker start). */
export async function ensureExclusionSourceWatchSchedule(
  client: Client,
  config: Pick<Config, 'TEMPORAL_TASK_QUEUE'>,
): Promise<'created' | 'updated'> {
  const spec: ScheduleSpec = { cronExpressions: [WATCH_CRON], timezone: 'UTC' };
  const action: ScheduleOptionsAction = {
    type: 'startWorkflow',
    workflowType: EXCLUSION_SOURCE_WATCH_WORKFLOW_TYPE,
    workflowId: 'exclusion-source-watch/scheduled',
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    args: [],
  };
  const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '30 minutes' as Duration };
  try {
    await client.schedule.create({ scheduleId: EXCLUSION_SOURCE_WATCH_SCHEDULE_ID, spec, action, policies });
    return 'created';
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  }
  await client.schedule.getHandle(EXCLUSION_SOURCE_WATCH_SCHEDULE_ID).update((previous) => ({
    ...previous,
    spec,
    action,
    policies: { ...previous.policies, ...policies },
  }));
  return 'updated';
}
