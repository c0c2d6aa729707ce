import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { execute, queryOne } from '../../db/sql';
import { SCREENING_WORKFLOW_TYPE } from '../../lib/workflow-contracts';
import {
  deleteRetiredWeeklySchedule,
  ensureMonthlyScreeningSchedule,
} from '../../workers/screening-schedule';
import { insertPeople } from '../fixtures/screening';
import { createOrganization } from '../support/fixtures';
import { stack } from '../support/stack';

describe('monthly-screening schedule (docs/spec.md §10)', () => {
  it('is created once with MONTHLY_SCREENING_CRON and updated in place on every later start', async () => {
    const scheduleId = `monthly-screening-${randomUUID()}`;
    const config = { TEMPORAL_TASK_QUEUE: `screening-${randomUUID()}`, MONTHLY_SCREENING_CRON: '0 8 1 * *' };
    const client = stack().temporal;
    try {
      assert.equal(await ensureMonthlyScreeningSchedule(client, config, { scheduleId }), 'created');
      assert.equal(
        await ensureMonthlyScreeningSchedule(
          client,
          { ...config, MONTHLY_SCREENING_CRON: '30 9 2 * *' },
          { scheduleId },
        ),
        'updated',
      );
      assert.equal(await ensureMonthlyScreeningSchedule(client, config, { scheduleId }), 'updated');

      const description = await client.schedule.getHandle(scheduleId).describe();
      assert.equal(description.action.type, 'startWorkflow');
      if (description.action.type !== 'startWorkflow') return;
      assert.equal(description.action.workflowType, SCREENING_WORKFLOW_TYPE);
      assert.equal(description.action.taskQueue, config.TEMPORAL_TASK_QUEUE);
      assert.deepEqual(description.action.args, [{ kind: 'all' }]);
      assert.equal(description.action.workflowId, 'exclusion-screening/all/monthly');
      assert.equal(description.policies.overlap, ScheduleOverlapPolicy.SKIP);
      // The third call restored the default: the 1st of the month, 08:00 UTC (the cron comes back as a calendar).
      const [calendar] = description.spec.calendars ?? [];
      assert.deepEqual(calendar?.hour, [{ start: 8, end: 8, step: 1 }]);
      assert.deepEqual(calendar?.dayOfMonth, [{ start: 1, end: 1, step: 1 }]);
    } finally {
      await client.schedule.getHandle(scheduleId).delete();
    }
  });

  it('retires the weekly schedule of earlier releases (already gone is fine)', async () => {
    const client = stack().temporal;
    const weekly = `exclusion-weekly-rescreen-${randomUUID()}`;
    const config = { TEMPORAL_TASK_QUEUE: `screening-${randomUUID()}`, MONTHLY_SCREENING_CRON: '0 7 * * 0' };
    await ensureMonthlyScreeningSchedule(client, config, { scheduleId: weekly });
    assert.equal(await deleteRetiredWeeklySchedule(client, weekly), 'deleted');
    assert.equal(await deleteRetiredWeeklySchedule(client, weekly), 'absent');
  });

  it('a scheduled run rescreens everyone: a `monthly` screening run, and people get last_screened_at', async function () {
    this.timeout(60_000);
    const client = stack().temporal;
    const scheduleId = `monthly-screening-${randomUUID()}`;
    const taskQueue = `monthly-${randomUUID()}`;
    const organization = await createOrganization();
    const people = await insertPeople(organization.id, [
      { label: 'a', firstName: 'Ottoline', lastName: 'Brackenbury', dateOfBirth: '1970-02-02' },
    ]);
    // A loaded list (an imported check): the run compares people against it.
    const checkId = randomUUID();
    await execute(
      stack().sequelize,
      `INSERT INTO oig_exclusions_check (id, checked_at, trigger, status, row_count, workflow_id)
       VALUES ($checkId, now(), 'manual', 'imported', 1, $workflowId)`,
      { checkId, workflowId: `oig-sync/test-${checkId}` },
    );
    await ensureMonthlyScreeningSchedule(
      client,
      { TEMPORAL_TASK_QUEUE: taskQueue, MONTHLY_SCREENING_CRON: '0 8 1 * *' },
      { scheduleId },
    );
    const worker = await stack().createWorker(taskQueue);
    try {
      const run = await worker.runUntil(async () => {
        await client.schedule.getHandle(scheduleId).trigger();
        for (let attempt = 0; attempt < 100; attempt += 1) {
          const row = await queryOne<{
            status: string;
            organization_id: string | null;
            list_versions: unknown;
          }>(
            stack().sequelize,
            `SELECT status, organization_id, list_versions FROM screening_runs
             WHERE trigger = 'monthly' AND workflow_id LIKE 'exclusion-screening/all/monthly%' AND finished_at IS NOT NULL
               AND started_at >= $since`,
            { since: organization.created_at },
          );
          if (row) return row;
          await sleep(200);
        }
        throw new Error('no monthly run finished');
      });
      assert.equal(run.status, 'succeeded');
      assert.equal(run.organization_id, null, 'one run covers every organization');
      assert.deepEqual(run.list_versions, { leie: checkId });
      const person = await queryOne<{ last_screened_at: Date | null }>(
        stack().sequelize,
        'SELECT last_screened_at FROM employees WHERE id = $id',
        { id: people.get('a') },
      );
      assert.ok(person?.last_screened_at instanceof Date);
      assert.ok(person.last_screened_at.getTime() >= organization.created_at.getTime());
    } finally {
      await client.schedule.getHandle(scheduleId).delete();
      await execute(stack().sequelize, 'DELETE FROM oig_exclusions_check WHERE id = $checkId', { checkId });
    }
  });
});
