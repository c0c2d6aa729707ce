import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ScheduleNotFoundError } from '@temporalio/client';
import { OIG_SCHEDULE_ID } from '../../lib/workflow-contracts';
import { ensureOigSchedule } from '../../workers/exclusion-source-schedules';
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
    assert.equal(description.action.workflowType, 'exclusionSourceSync');
    assert.equal(description.action.workflowId, 'oig-sync/scheduled');
    assert.equal(description.action.taskQueue, 'oig-schedule-test');
    assert.deepEqual(description.action.args, [{ sourceId: 'leie', trigger: 'schedule', force: false }]);
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

  it('switches a Schedule that started oigSync to the one sync workflow, which it then starts for leie', async () => {
    await deleteSchedule();
    const taskQueue = `oig-schedule-${randomUUID()}`;
    // The Schedule as workers before this change created it.
    await stack().temporal.schedule.create({
      scheduleId: OIG_SCHEDULE_ID,
      spec: { cronExpressions: ['0 6 * * *'], timezone: 'UTC' },
      action: {
        type: 'startWorkflow',
        workflowType: 'oigSync',
        workflowId: 'oig-sync/scheduled',
        taskQueue,
        args: [{ trigger: 'schedule', force: false }],
      },
    });
    assert.equal(
      await ensureOigSchedule(stack().temporal, {
        OIG_SYNC_CRON: '0 6 * * *',
        TEMPORAL_TASK_QUEUE: taskQueue,
      }),
      'updated',
    );
    const handle = stack().temporal.schedule.getHandle(OIG_SCHEDULE_ID);
    assert.equal((await handle.describe()).action.workflowType, 'exclusionSourceSync');

    await handle.trigger();
    let started: string | undefined;
    for (let tries = 0; !started && tries < 100; tries++) {
      started = (await handle.describe()).info.recentActions.at(-1)?.action.workflow.workflowId;
      if (!started) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(started?.startsWith('oig-sync/scheduled'), `the Schedule started ${started}`);
    // Nobody polls the queue: the run waits, and is described as the Schedule started it.
    const run = stack().temporal.workflow.getHandle(started as string);
    const description = await run.describe();
    assert.equal(description.type, 'exclusionSourceSync');
    assert.equal(description.taskQueue, taskQueue);
    assert.deepEqual(description.searchAttributes.ExclusionSource, ['leie']);
    await run.terminate('test done');
  });
});
