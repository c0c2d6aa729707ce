import assert from 'node:assert/strict';
import { ScheduleNotFoundError } from '@temporalio/client';
import { OIG_SCHEDULE_ID } from '../../lib/workflow-contracts';
import { ensureOigSchedule } from '../../workers/oig-schedule';
import { stack } from '../support/stack';

async function deleteSchedule() {
  await stack()
    .temporal.schedule.getHandle(OIG_SCHEDULE_ID)
    .delete()
    .catch((error: unknown) => {
      if (!(error instanceof ScheduleNotFoundError)) throw error;
    });
}

async function schedulesNamedOig(): Promise<number> {
  let count = 0;
  for await (const summary of stack().temporal.schedule.list()) {
    if (summary.scheduleId === OIG_SCHEDULE_ID) count++;
  }
  return count;
}

describe('oig-daily-sync Schedule (real dev server)', () => {
  before(deleteSchedule);
  after(deleteSchedule);

  it('is created with the configured cron (UTC), overlap SKIP and a catch-up window, once', async () => {
    const config = { OIG_SYNC_CRON: '17 5 * * *', TEMPORAL_TASK_QUEUE: 'oig-schedule-test' };
    assert.equal(await ensureOigSchedule(stack().temporal, config), 'created');

    const description = await stack().temporal.schedule.getHandle(OIG_SCHEDULE_ID).describe();
    assert.ok(description.info.nextActionTimes.length >= 2);
    for (const time of description.info.nextActionTimes) {
      assert.equal(time.toISOString().slice(11, 19), '05:17:00');
    }
    assert.equal(description.policies.overlap, 'SKIP');
    assert.equal(description.policies.catchupWindow, 12 * 3600 * 1000);
    assert.equal(description.action.type, 'startWorkflow');
    assert.equal(description.action.workflowType, 'oigSync');
    assert.equal(description.action.taskQueue, 'oig-schedule-test');
    assert.deepEqual(description.action.args, [{ trigger: 'schedule', force: false }]);
  });

  it('is updated, not duplicated, by a second start with another cron', async () => {
    const config = { OIG_SYNC_CRON: '0 6 * * *', TEMPORAL_TASK_QUEUE: 'oig-schedule-test' };
    await ensureOigSchedule(stack().temporal, { ...config, OIG_SYNC_CRON: '17 5 * * *' });
    assert.equal(await ensureOigSchedule(stack().temporal, config), 'updated');
    assert.equal(await ensureOigSchedule(stack().temporal, config), 'updated');

    const description = await stack().temporal.schedule.getHandle(OIG_SCHEDULE_ID).describe();
    for (const time of description.info.nextActionTimes) {
      assert.equal(time.toISOString().slice(11, 19), '06:00:00');
    }
    assert.equal(await schedulesNamedOig(), 1);
  });
});
