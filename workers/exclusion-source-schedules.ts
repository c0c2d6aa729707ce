import {
  type Client,
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  type ScheduleOptions,
  type ScheduleOptionsAction,
  ScheduleOverlapPolicy,
  type ScheduleSpec,
} from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import { scheduledSources, sourceSyncCron } from '../domain/exclusion-sources/settings';
import { EXCLUSION_SOURCE_IDS, type ExclusionSourceId } from '../domain/exclusion-sources/source';
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

/**
 * A run missed while Temporal was down is still made up within this window; shorter than the daily
 * period, so a late catch-up never lands on top of the next day's run.
 */
const CATCHUP_WINDOW: Duration = '12 hours';

/**
 * One Schedule `exclusion-source-sync-<id>` per enabled, configured source other than the LEIE
 * (docs/spec.md §8; the LEIE's `oig-daily-sync` is `ensureOigSchedule`), created or brought in line
 * with the configuration at every worker start; the Schedule of a source disabled or unconfigured
 * since is deleted, so nothing syncs a list nobody screens against. Returns what was done per source.
 */
export async function ensureExclusionSourceSchedules(
  client: Client,
  config: Config,
): Promise<Record<string, 'created' | 'updated' | 'deleted' | 'absent'>> {
  const wanted = new Set<string>(scheduledSources(config));
  const done: Record<string, 'created' | 'updated' | 'deleted' | 'absent'> = {};
  for (const id of EXCLUSION_SOURCE_IDS) {
    if (id === 'leie') continue;
    if (wanted.has(id)) {
      done[id] = await ensureSourceSchedule(client, config, id, sourceSyncCron(config, id));
      continue;
    }
    try {
      await client.schedule.getHandle(exclusionSourceScheduleId(id)).delete();
      done[id] = 'deleted';
    } catch (error) {
      if (!(error instanceof ScheduleNotFoundError)) throw error;
      done[id] = 'absent';
    }
  }
  return done;
}

/**
 * The LEIE's Schedule `oig-daily-sync` (OIG_SYNC_CRON, docs/spec.md §4.4): it starts the one sync
 * workflow for `leie`. Kept whatever EXCLUSION_SOURCES says, as it always was; an existing Schedule
 * (one that started `oigSync` before) is updated, so a deployed environment switches at its next
 * worker start.
 */
export function ensureOigSchedule(
  client: Client,
  config: Pick<Config, 'OIG_SYNC_CRON' | 'TEMPORAL_TASK_QUEUE'>,
): Promise<'created' | 'updated'> {
  return ensureSourceSchedule(client, config, 'leie', config.OIG_SYNC_CRON);
}

/** Creates the source's Schedule, or brings an existing one in line (cron, action, policies). */
async function ensureSourceSchedule(
  client: Client,
  config: Pick<Config, 'TEMPORAL_TASK_QUEUE'>,
  id: ExclusionSourceId,
  cron: string,
): Promise<'created' | 'updated'> {
  const scheduleId = exclusionSourceScheduleId(id);
  const spec: ScheduleSpec = { cronExpressions: [cron], timezone: 'UTC' };
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
  return createOrUpdate(client, scheduleId, { spec, action, policies });
}

/** Creates the Schedule, or brings an existing one in line: an update replaces its spec and action. */
async function createOrUpdate(
  client: Client,
  scheduleId: string,
  { spec, action, policies }: Pick<ScheduleOptions, 'spec' | 'action' | 'policies'>,
): Promise<'created' | 'updated'> {
  try {
    await client.schedule.create({ scheduleId, spec, action, policies });
    return 'created';
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  }
  await client.schedule.getHandle(scheduleId).update((previous) => ({
    ...previous,
    spec,
    action,
    policies: { ...previous.policies, ...policies },
  }));
  return 'updated';
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
  return createOrUpdate(client, EXCLUSION_SOURCE_WATCH_SCHEDULE_ID, { spec, action, policies });
}
