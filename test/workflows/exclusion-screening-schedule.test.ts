import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { SCREENING_WORKFLOW_TYPE } from '../../lib/workflow-contracts';
import { ensureWeeklyRescreenSchedule } from '../../workers/screening-schedule';
import { stack } from '../support/stack';

describe('weekly exclusion rescreen schedule', () => {
  it('is created once and updated in place on every later start', async () => {
    const scheduleId = `exclusion-weekly-rescreen-${randomUUID()}`;
    const config = { TEMPORAL_TASK_QUEUE: `screening-${randomUUID()}` };
    const client = stack().temporal;
    try {
      assert.equal(await ensureWeeklyRescreenSchedule(client, config, { scheduleId }), 'created');
      assert.equal(
        await ensureWeeklyRescreenSchedule(client, config, { scheduleId, cron: '0 8 * * 0' }),
        'updated',
      );
      assert.equal(await ensureWeeklyRescreenSchedule(client, config, { scheduleId }), 'updated');

      const description = await client.schedule.getHandle(scheduleId).describe();
      assert.equal(description.action.type, 'startWorkflow');
      if (description.action.type !== 'startWorkflow') return;
      assert.equal(description.action.workflowType, SCREENING_WORKFLOW_TYPE);
      assert.equal(description.action.taskQueue, config.TEMPORAL_TASK_QUEUE);
      assert.deepEqual(description.action.args, [{ kind: 'all' }]);
      assert.equal(description.action.workflowId, 'exclusion-screening/all/weekly');
      assert.equal(description.policies.overlap, ScheduleOverlapPolicy.SKIP);
      // The third call restored the default: Sundays 07:00 UTC (the cron comes back as a calendar).
      const [calendar] = description.spec.calendars ?? [];
      assert.deepEqual(calendar?.hour, [{ start: 7, end: 7, step: 1 }]);
      assert.deepEqual(calendar?.dayOfWeek, [{ start: 'SUNDAY', end: 'SUNDAY', step: 1 }]);
    } finally {
      await client.schedule.getHandle(scheduleId).delete();
    }
  });
});
