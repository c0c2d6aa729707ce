import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { query } from '../../db/sql';
import { createMember, createOrganization, createUser } from '../support/fixtures';
import { call } from '../support/http';
import { stack } from '../support/stack';
import { until } from './organization-support';
import { employeeCsv, employeesOf, importRow } from './roster-import-support';

/** A 200k-row import and a 10-row one of a new organization, posted through the API, and a worker for them. */
async function writingAndQueued(name: string) {
  const taskQueue = `turns-${randomUUID()}`;
  const app = stack().createApp({ TEMPORAL_TASK_QUEUE: taskQueue });
  const org = await createOrganization(name);
  const admin = await createMember(org.id, 'admin');
  const post = (csv: string) =>
    call(app, 'POST', `/v1/organizations/${org.id}/imports?kind=employees`, {
      token: admin.token,
      body: csv,
      headers: { 'content-type': 'text/csv' },
    });
  const first = await post(employeeCsv(200_000));
  const second = await post(employeeCsv(10, 1, 'Q'));
  return { app, org, admin, first, second, worker: await stack().createWorker(taskQueue) };
}

/** Waits until the first import writes its rows while the second waits its turn. */
function firstWritingSecondQueued(firstId: string, secondId: string) {
  return until(
    'the first import writing while the second waits',
    async () =>
      (await importRow(firstId)).rowsProcessed > 0 && (await importRow(secondId)).status === 'queued',
    60_000,
  );
}
/**
 * docs/spec.md §4.2: imports of one organization and kind run one at a time, in arrival order; a
 * later one waits `queued`.
 */
describe('one import at a time per organization and kind (docs/spec.md §4.2)', function () {
  this.timeout(180_000);

  it('two replace imports posted at once run one after the other; the roster ends as the second file', async () => {
    const taskQueue = `turns-${randomUUID()}`;
    const app = stack().createApp({ TEMPORAL_TASK_QUEUE: taskQueue });
    const org = await createOrganization('Turn Taking Care');
    const admin = await createMember(org.id, 'admin');
    const post = (csv: string) =>
      call(app, 'POST', `/v1/organizations/${org.id}/imports?kind=employees&mode=replace`, {
        token: admin.token,
        body: csv,
        headers: { 'content-type': 'text/csv' },
      });
    const first = await post(employeeCsv(20_000));
    const second = await post(employeeCsv(15_000, 5_001, 'B'));
    assert.deepEqual([first.status, second.status], [202, 202]);
    const [firstId, secondId] = [first.body.id as string, second.body.id as string];

    const worker = await stack().createWorker(taskQueue);
    await worker.runUntil(async () => {
      // While the first one writes its rows, the second one visibly waits.
      await until(
        'the first import running while the second waits',
        async () => {
          const [a, b] = await Promise.all([importRow(firstId), importRow(secondId)]);
          assert.notEqual(b.status, 'running', 'the second import must not run beside the first');
          return a.status === 'running' && a.rowsProcessed > 0 && b.status === 'queued';
        },
        60_000,
      );
      const shown = await call(app, 'GET', `/v1/organizations/${org.id}/imports/${secondId}`, {
        token: admin.token,
      });
      assert.equal(shown.body.status, 'queued');
      await until('both imports ended', async () => (await importRow(secondId)).finishedAt !== null, 120_000);
    });

    const [a, b] = await Promise.all([importRow(firstId), importRow(secondId)]);
    assert.deepEqual([a.status, b.status], ['succeeded', 'succeeded']);
    assert.ok(a.finishedAt && b.finishedAt && a.finishedAt <= b.finishedAt);
    assert.deepEqual([b.updatedCount, b.deactivatedCount], [15_000, 5_000]);
    // The second began its work only once the first had ended, whether it waited in a turn check
    // of its own or its start reached Temporal late (the outbox delivers it after the commit).
    const history = await stack().temporal.workflow.getHandle(second.body.workflowId).fetchHistory();
    const prepared = (history.events ?? []).find(
      (event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'prepareRosterImport',
    );
    assert.ok(prepared?.eventTime, 'the second import was prepared');
    const { seconds, nanos } = prepared.eventTime;
    const preparedAt = new Date(Number(seconds) * 1000 + Math.floor((nanos ?? 0) / 1e6));
    assert.ok(a.finishedAt && preparedAt >= a.finishedAt, 'the second one waited for the first to end');
    const people = await employeesOf(org.id);
    const active = people.filter((person) => person.status === 'active');
    assert.equal(active.length, 15_000);
    assert.ok(active.every((person) => Number(person.external_id.slice(1)) > 5_000));
    assert.ok(
      active.every((person) => person.first_name.endsWith('B')),
      'the second file wrote last',
    );
  });

  it('a dry run does not wait for the imports ahead of it', async () => {
    const taskQueue = `turns-${randomUUID()}`;
    const app = stack().createApp({ TEMPORAL_TASK_QUEUE: taskQueue });
    const org = await createOrganization('Dry Turn Care');
    const admin = await createMember(org.id, 'admin');
    const post = (csv: string, query = '') =>
      call(app, 'POST', `/v1/organizations/${org.id}/imports?kind=employees${query}`, {
        token: admin.token,
        body: csv,
        headers: { 'content-type': 'text/csv' },
      });
    const big = await post(employeeCsv(20_000));
    const dry = await post(employeeCsv(3), '&dryRun=true');
    const worker = await stack().createWorker(taskQueue);
    await worker.runUntil(async () => {
      await until(
        'both finished',
        async () =>
          (await importRow(big.body.id)).finishedAt !== null &&
          (await importRow(dry.body.id)).finishedAt !== null,
        120_000,
      );
    });
    assert.equal((await importRow(dry.body.id)).status, 'succeeded');
    assert.equal((await importRow(big.body.id)).status, 'succeeded');
    // It never waited: no timer in its history (a waiting import sleeps between looks at its turn).
    const history = await stack().temporal.workflow.getHandle(dry.body.workflowId).fetchHistory();
    assert.ok(!(history.events ?? []).some((event) => event.timerStartedEventAttributes));
  });

  it('POST …/cancel is a real workflow cancellation: the running import stops between batches, the queued one ends at once', async () => {
    const { app, org, admin, first, second, worker } = await writingAndQueued('Cancelling Care');
    const cancel = (id: string) =>
      call(app, 'POST', `/v1/organizations/${org.id}/imports/${id}/cancel`, { token: admin.token });
    await worker.runUntil(async () => {
      await firstWritingSecondQueued(first.body.id, second.body.id);
      assert.equal((await cancel(second.body.id)).status, 202);
      await until(
        'the queued import cancelled',
        async () => (await importRow(second.body.id)).status === 'cancelled',
      );
      assert.equal((await importRow(first.body.id)).status, 'running', 'the running one goes on');
      assert.equal((await cancel(first.body.id)).status, 202);
      for (const id of [first.body.id, second.body.id]) {
        const outcome = await stack()
          .temporal.workflow.getHandle(`roster-import/${id}`)
          .result()
          .then(
            () => 'completed',
            (error: Error) => error.name,
          );
        assert.equal(outcome, 'WorkflowFailedError', 'the workflow ended cancelled');
        const description = await stack().temporal.workflow.getHandle(`roster-import/${id}`).describe();
        assert.equal(description.status.name, 'CANCELLED');
      }
    });
    const [a, b] = await Promise.all([importRow(first.body.id), importRow(second.body.id)]);
    assert.deepEqual([a.status, b.status], ['cancelled', 'cancelled']);
    assert.ok(a.rowsProcessed < 200_000, `stopped early (${a.rowsProcessed})`);
    assert.equal(b.rowsProcessed, 0);
    const people = await employeesOf(org.id);
    assert.equal(people.length, a.insertedCount, 'what the first committed stays; the second wrote nothing');
    assert.equal((await cancel(first.body.id)).status, 409, 'an ended import cannot be cancelled');
  });

  it('deleting the organization cancels its running and queued imports: nothing is written into it after', async () => {
    const { app, org, first, second, worker } = await writingAndQueued('Closing Care');
    const platformAdmin = await createUser({ platformAdmin: true });
    await worker.runUntil(async () => {
      await firstWritingSecondQueued(first.body.id, second.body.id);
      const deleted = await call(app, 'DELETE', `/v1/organizations/${org.id}`, {
        token: platformAdmin.token,
      });
      assert.equal(deleted.status, 202, JSON.stringify(deleted.body));
      for (const id of [first.body.id, second.body.id]) {
        await until('the import cancelled', async () => (await importRow(id)).status === 'cancelled', 60_000);
      }
    });
    const [a, b] = await Promise.all([importRow(first.body.id), importRow(second.body.id)]);
    assert.ok(a.rowsProcessed < 200_000, `stopped early (${a.rowsProcessed})`);
    assert.equal(b.rowsProcessed, 0, 'the queued import wrote nothing');
    assert.equal((await employeesOf(org.id)).length, a.insertedCount, 'only what was committed before');
    const audited = await query<{ entity_id: string }>(
      stack().sequelize,
      `SELECT entity_id FROM audit_log WHERE action = 'roster_import.cancel_requested' AND organization_id = $orgId`,
      { orgId: org.id },
    );
    assert.deepEqual(audited.map((row) => row.entity_id).sort(), [first.body.id, second.body.id].sort());
  });
});
