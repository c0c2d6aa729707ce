import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { findEmployee } from '../../db/people-store';
import { execute, query } from '../../db/sql';
import { MONTHLY_SCREENING_WORKFLOW_TYPE } from '../../lib/monthly-screening-contract';
import {
  deleteRetiredWeeklySchedule,
  ensureMonthlyScreeningSchedule,
} from '../../workers/screening-schedule';
import { insertPeople } from '../fixtures/screening';
import { createOrganization, setOrganizationState } from '../support/fixtures';
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
      assert.equal(description.action.workflowType, MONTHLY_SCREENING_WORKFLOW_TYPE);
      assert.equal(description.action.taskQueue, config.TEMPORAL_TASK_QUEUE);
      assert.deepEqual(description.action.args, [{}]);
      assert.equal(description.action.workflowId, 'monthly-screening');
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

  it('a scheduled run rescreens every active organization, each in a `monthly` run of its own; people get last_screened_at', async function () {
    this.timeout(90_000);
    const client = stack().temporal;
    const scheduleId = `monthly-screening-${randomUUID()}`;
    const taskQueue = `monthly-${randomUUID()}`;
    const active = [await createOrganization(), await createOrganization()];
    const deleted = await createOrganization();
    await setOrganizationState(deleted.id, { status: 'deleted' });
    const people = new Map<string, string>();
    for (const organization of [...active, deleted]) {
      const ids = await insertPeople(organization.id, [
        { label: 'a', firstName: 'Ottoline', lastName: 'Brackenbury', dateOfBirth: '1970-02-02' },
      ]);
      people.set(organization.id, ids.get('a') as string);
    }
    // A loaded list (an imported check): the runs compare people against it.
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
      const result = await worker.runUntil(async () => {
        const schedule = client.schedule.getHandle(scheduleId);
        await schedule.trigger();
        for (let attempt = 0; attempt < 100; attempt += 1) {
          const [action] = (await schedule.describe()).info.recentActions;
          if (action) return client.workflow.getHandle(action.action.workflow.workflowId).result();
          await sleep(100);
        }
        throw new Error('the schedule started nothing');
      });
      assert.ok(result.screened >= 2 && result.failed === 0, JSON.stringify(result));

      for (const organization of active) {
        const runs = await query<{
          status: string;
          trigger: string;
          list_versions: unknown;
          workflow_id: string;
        }>(
          stack().sequelize,
          'SELECT status, trigger, list_versions, workflow_id FROM screening_runs WHERE organization_id = $id',
          { id: organization.id },
        );
        assert.equal(runs.length, 1);
        assert.equal(runs[0]?.trigger, 'monthly');
        assert.equal(runs[0]?.status, 'succeeded');
        // The LEIE version in force is the one loaded here; lists other tests of the run loaded
        // (SAM, state lists) are in force too and recorded beside it (docs/spec.md §10).
        const versions = runs[0]?.list_versions as Record<string, string>;
        assert.equal(versions.leie, checkId);
        for (const version of Object.values(versions)) assert.match(version, /^[0-9a-f-]{36}$/);
        assert.match(
          runs[0]?.workflow_id ?? '',
          new RegExp(`^exclusion-screening/monthly/${organization.id}/monthly-screening`),
        );
      }
      const screenedAt = async (organizationId: string) =>
        (await findEmployee(stack().sequelize, organizationId, people.get(organizationId) as string))
          ?.last_screened_at;
      assert.ok((await screenedAt(active[0]?.id as string)) instanceof Date);
      assert.equal(await screenedAt(deleted.id), null, 'a deleted organization is not rescreened');
      const deletedRuns = await query(
        stack().sequelize,
        'SELECT 1 FROM screening_runs WHERE organization_id = $id',
        {
          id: deleted.id,
        },
      );
      assert.equal(deletedRuns.length, 0);
    } finally {
      await client.schedule.getHandle(scheduleId).delete();
      await execute(stack().sequelize, 'DELETE FROM oig_exclusions_check WHERE id = $checkId', { checkId });
    }
  });
});
