import assert from 'node:assert/strict';
import { ScheduleNotFoundError } from '@temporalio/client';
import type { Config } from '../../lib/config';
import {
  EXCLUSION_SOURCE_WATCH_SCHEDULE_ID,
  exclusionSourceScheduleId,
} from '../../lib/exclusion-source-contract';
import {
  ensureExclusionSourceSchedules,
  ensureExclusionSourceWatchSchedule,
} from '../../workers/exclusion-source-schedules';
import { stack } from '../support/stack';

const IDS = ['sam', 'pa_medicheck', 'ca_medi_cal'].map(exclusionSourceScheduleId);

async function deleteSchedules() {
  for (const id of [...IDS, EXCLUSION_SOURCE_WATCH_SCHEDULE_ID]) {
    await stack()
      .temporal.schedule.getHandle(id)
      .delete()
      .catch((error: unknown) => {
        if (!(error instanceof ScheduleNotFoundError)) throw error;
      });
  }
}

async function existing(): Promise<string[]> {
  const found: string[] = [];
  for await (const summary of stack().temporal.schedule.list()) {
    if (IDS.includes(summary.scheduleId)) found.push(summary.scheduleId);
  }
  return found.sort();
}

/** The listed Schedules are `expected` within a few seconds: the list (visibility) lags a create or delete. */
async function assertListed(expected: string[]) {
  const deadline = Date.now() + 10_000;
  let found = await existing();
  while (JSON.stringify(found) !== JSON.stringify(expected) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    found = await existing();
  }
  assert.deepEqual(found, expected);
}

describe('exclusion-source-sync-<id> Schedules (real dev server, docs/spec.md §8)', () => {
  before(deleteSchedules);
  after(deleteSchedules);

  const config = (overrides: Partial<Config>): Config => ({
    ...stack().config,
    TEMPORAL_TASK_QUEUE: 'source-schedule-test',
    EXCLUSION_SOURCES: ['leie', 'sam', 'pa_medicheck', 'ca_medi_cal'],
    SAM_API_KEY: 'key',
    SAM_SYNC_CRON: '0 13 * * *',
    STATE_LISTS_SYNC_CRON: '0 14 * * *',
    PA_MEDICHECK_URL: 'http://127.0.0.1:9/pa.csv',
    CA_MEDI_CAL_URL: undefined,
    ...overrides,
  });

  it('one per enabled, configured non-LEIE source: its cron (UTC), overlap SKIP, its workflow and input', async () => {
    const done = await ensureExclusionSourceSchedules(stack().temporal, config({}));
    assert.deepEqual(done, { sam: 'created', pa_medicheck: 'created', ca_medi_cal: 'absent' });
    await assertListed([exclusionSourceScheduleId('pa_medicheck'), exclusionSourceScheduleId('sam')]);
    for (const [id, time] of [
      ['sam', '13:00:00'],
      ['pa_medicheck', '14:00:00'],
    ] as const) {
      const description = await stack().temporal.schedule.getHandle(exclusionSourceScheduleId(id)).describe();
      for (const next of description.info.nextActionTimes)
        assert.equal(next.toISOString().slice(11, 19), time);
      assert.equal(description.policies.overlap, 'SKIP');
      assert.equal(description.action.type, 'startWorkflow');
      assert.equal(description.action.workflowType, 'exclusionSourceSync');
      assert.deepEqual(description.action.args, [{ sourceId: id, trigger: 'schedule', force: false }]);
    }
  });

  it('updated, not duplicated, on the next start; deleted when its source is disabled or unconfigured', async () => {
    const done = await ensureExclusionSourceSchedules(
      stack().temporal,
      config({ SAM_SYNC_CRON: '30 1 * * *', EXCLUSION_SOURCES: ['leie', 'sam'], SAM_API_KEY: 'key' }),
    );
    assert.deepEqual(done, { sam: 'updated', pa_medicheck: 'deleted', ca_medi_cal: 'absent' });
    await assertListed([exclusionSourceScheduleId('sam')]);
    const sam = await stack().temporal.schedule.getHandle(exclusionSourceScheduleId('sam')).describe();
    for (const next of sam.info.nextActionTimes) assert.equal(next.toISOString().slice(11, 19), '01:30:00');
    const gone = await ensureExclusionSourceSchedules(stack().temporal, config({ SAM_API_KEY: undefined }));
    assert.equal(gone.sam, 'deleted', 'SAM without a key has nothing to sync');
  });

  it('the hourly watch Schedule is created once and then updated', async () => {
    assert.equal(await ensureExclusionSourceWatchSchedule(stack().temporal, config({})), 'created');
    assert.equal(await ensureExclusionSourceWatchSchedule(stack().temporal, config({})), 'updated');
    const watch = await stack().temporal.schedule.getHandle(EXCLUSION_SOURCE_WATCH_SCHEDULE_ID).describe();
    assert.equal(watch.action.type === 'startWorkflow' && watch.action.workflowType, 'exclusionSourceWatch');
    assert.equal(watch.policies.overlap, 'SKIP');
  });
});
