import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { insertEmployee } from '../../db/people-store';
import { execute, inTransaction, query, queryOne } from '../../db/sql';
import { claimWorkflowIntents, insertWorkflowIntent } from '../../db/workflow-outbox-store';
import type { Config } from '../../lib/config';
import { SCREENING_WORKFLOW_TYPE, type ScreeningScope } from '../../lib/workflow-contracts';
import { planDeliveries } from '../../lib/workflow-intents';
import { sendWorkflowIntent } from '../../services/send-workflow-intent';
import { startWorkflowOutboxRelay } from '../../services/workflow-outbox';
import { createMember, createOrganization, createUser } from '../support/fixtures';
import { call } from '../support/http';
import {
  organizationWithOnePerson,
  personScreenings,
  recordUndeliveredScreening,
  timesScreened,
} from '../support/outbox-screenings';
import { SendGridStub } from '../support/sendgrid-stub';
import { stack, testLogger } from '../support/stack';
import { until } from '../workflows/organization-support';

/**
 * The outbox relay against the real stack (docs/spec.md §12, docs/architecture.md "The outbox"):
 * a backlog of person screenings is delivered in few starts, each person screened once; a relay that
 * dies between a start and its delete does no harm; the rescreen and the password-reset email are
 * accepted while Temporal is down and happen after it returns.
 */

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const pendingOf = async (entityKeys: string[]) =>
  (
    await queryOne<{ n: number }>(
      stack().sequelize,
      'SELECT count(*)::int AS n FROM workflow_outbox WHERE entity_key = ANY($keys)',
      { keys: entityKeys },
    )
  )?.n ?? 0;

function relayFor(overrides: Partial<Config>) {
  return startWorkflowOutboxRelay({
    config: { ...stack().config, ...overrides },
    sequelize: stack().sequelize,
    temporal: stack().temporal,
    logger: testLogger,
  });
}

describe('the outbox relay: united starts, crashes, and the writes it now carries (docs/spec.md §12)', function () {
  this.timeout(240_000);

  it('12 people of one organization written while Temporal is down: after its return each screened once, in fewer starts, one person’s three versions in order; an intent without a key alone', async () => {
    const taskQueue = `outbox-united-${randomUUID()}`;
    const overrides: Partial<Config> = {
      TEMPORAL_TASK_QUEUE: taskQueue,
      OUTBOX_POLL_INTERVAL_MS: 300,
      OUTBOX_RETRY_MAX_DELAY_MS: 2_000,
    };
    const app = stack().createApp(overrides);
    const org = await createOrganization('United Starts Care');
    const admin = await createMember(org.id, 'admin');
    const other = await createOrganization('Unkeyed Care');
    const loner = await insertEmployee(stack().sequelize, {
      organizationId: other.id,
      kind: 'employee',
      status: 'active',
      record: { external_id: 'LONE-1', first_name: 'Lone', last_name: 'Person' },
    });
    const lonerWorkflowId = `exclusion-screening/employees/unkeyed-${randomUUID()}`;
    const people: string[] = [];
    const entities: string[] = [];
    const worker = await stack().createWorker(taskQueue);
    const relay = relayFor(overrides);
    try {
      await worker.runUntil(async () => {
        await stack().restart.temporal(async () => {
          const created = await Promise.all(
            Array.from({ length: 12 }, (_, i) =>
              call(app, 'POST', `/v1/organizations/${org.id}/employees`, {
                token: admin.token,
                json: {
                  kind: 'employee',
                  externalId: `UNITED-${i}`,
                  firstName: 'Ada',
                  lastName: `United${i}`,
                },
              }),
            ),
          );
          for (const response of created) {
            assert.equal(response.status, 202, JSON.stringify(response.body));
            people.push(response.body.id);
            entities.push(`employee/${response.body.id}`);
          }
          // Two more versions of the first person: three screenings of one entity, in order.
          for (const lastName of ['Changed', 'ChangedAgain']) {
            const patched = await call(app, 'PATCH', `/v1/organizations/${org.id}/employees/${people[0]}`, {
              token: admin.token,
              json: { lastName },
            });
            assert.equal(patched.status, 202, JSON.stringify(patched.body));
          }
          const scope: ScreeningScope = {
            kind: 'employees',
            organizationId: other.id,
            employeeIds: [loner.id],
          };
          await insertWorkflowIntent(stack().sequelize, `test/${lonerWorkflowId}`, {
            kind: 'start',
            workflowType: SCREENING_WORKFLOW_TYPE,
            workflowId: lonerWorkflowId,
            taskQueue,
            args: [scope],
          });
          entities.push(`test/${lonerWorkflowId}`);
          assert.equal(await pendingOf(entities), 15, 'every start waits in the outbox');
          await sleep(2_000);
        });
        await until('the outbox delivered', async () => (await pendingOf(entities)) === 0, 60_000);
        await until(
          'every screening finished',
          async () => {
            const times = timesScreened(await personScreenings(org.id));
            return people.every((id) => times.has(id)) && times.get(people[0] as string) === 3;
          },
          60_000,
        );
        await stack().temporal.workflow.getHandle(lonerWorkflowId).result();
      });
    } finally {
      await relay.stop();
    }
    const screenings = await personScreenings(org.id);
    const times = timesScreened(screenings);
    assert.deepEqual(
      people.map((id) => times.get(id)),
      [3, ...Array(11).fill(1)],
      'each person screened once per version written',
    );
    assert.ok(screenings.length < 14, `${screenings.length} starts for 14 person changes`);
    assert.ok(
      screenings.some((screening) => screening.employeeIds.length > 1),
      'some start screened several people',
    );
    // Each of the first person's versions was its own start (an entity's intents are never united).
    assert.equal(
      screenings.filter((screening) => screening.employeeIds.includes(people[0] as string)).length,
      3,
    );
    const loneRun = await queryOne<{ people_screened: number }>(
      stack().sequelize,
      'SELECT people_screened FROM screening_runs WHERE workflow_id = $id',
      { id: lonerWorkflowId },
    );
    assert.equal(loneRun?.people_screened, 1, 'the intent without a key was started alone, under its own id');
  });

  it('a relay killed between the united start and the delete: the next relay meets "already started", nobody is screened twice', async () => {
    const taskQueue = `outbox-crash-${randomUUID()}`;
    const config = { ...stack().config, TEMPORAL_TASK_QUEUE: taskQueue };
    const org = await createOrganization('Crashed Relay Care');
    const entities: string[] = [];
    const people: string[] = [];
    await inTransaction(stack().sequelize, async (tx) => {
      for (let i = 0; i < 5; i++) {
        const person = await insertEmployee(tx, {
          organizationId: org.id,
          kind: 'employee',
          status: 'active',
          record: { external_id: `CRASH-${i}`, first_name: 'Ada', last_name: `Crash${i}` },
        });
        await recordUndeliveredScreening(tx, config, person);
        people.push(person.id);
        entities.push(`employee/${person.id}`);
      }
    });
    // The dying relay: claims with a 1 s lease, starts the united workflow, and is gone before the delete.
    const claimed = await claimWorkflowIntents(stack().sequelize, { limit: 2000, leaseSeconds: 1 });
    const mine = claimed.filter((row) => entities.includes(row.entity_key));
    const [united, ...others] = planDeliveries(mine);
    assert.equal(others.length, 0);
    assert.equal(united?.rows.length, 5);
    assert.equal(await sendWorkflowIntent(stack().temporal, united?.intent as never), 'delivered');
    const unitedId = united?.intent.kind === 'start' ? united.intent.workflowId : '';
    await sleep(1_500); // its lease lapses

    const worker = await stack().createWorker(taskQueue);
    const relay = relayFor({ TEMPORAL_TASK_QUEUE: taskQueue, OUTBOX_POLL_INTERVAL_MS: 200 });
    try {
      await worker.runUntil(async () => {
        await until('the intents redelivered', async () => (await pendingOf(entities)) === 0, 60_000);
        await stack().temporal.workflow.getHandle(unitedId).result();
      });
    } finally {
      await relay.stop();
    }
    const executions = await query<{ workflow_id: string }>(
      stack().sequelize,
      `SELECT workflow_id FROM screening_runs WHERE organization_id = $orgId AND trigger = 'person_change'`,
      { orgId: org.id },
    );
    assert.deepEqual(
      executions.map((row) => row.workflow_id),
      [unitedId],
      'one execution: the redelivery was "already started"',
    );
    const times = timesScreened(await personScreenings(org.id));
    assert.deepEqual(
      people.map((id) => times.get(id)),
      [1, 1, 1, 1, 1],
    );
  });

  it('a relay killed after a united start, then a new person of the organization: the next start covers another set, so those people are screened again — a repeat, never a miss', async () => {
    const taskQueue = `outbox-crash-grown-${randomUUID()}`;
    const config = { ...stack().config, TEMPORAL_TASK_QUEUE: taskQueue };
    const org = await createOrganization('Grown Backlog Care');
    const people: string[] = [];
    const entities: string[] = [];
    const addPeople = (count: number, offset: number) =>
      inTransaction(stack().sequelize, async (tx) => {
        for (let i = 0; i < count; i++) {
          const person = await insertEmployee(tx, {
            organizationId: org.id,
            kind: 'employee',
            status: 'active',
            record: {
              external_id: `GROWN-${offset + i}`,
              first_name: 'Ada',
              last_name: `Grown${offset + i}`,
            },
          });
          await recordUndeliveredScreening(tx, config, person);
          people.push(person.id);
          entities.push(`employee/${person.id}`);
        }
      });
    await addPeople(3, 0);
    const claimed = await claimWorkflowIntents(stack().sequelize, { limit: 2000, leaseSeconds: 1 });
    const [united] = planDeliveries(claimed.filter((row) => entities.includes(row.entity_key)));
    assert.equal(united?.rows.length, 3);
    assert.equal(await sendWorkflowIntent(stack().temporal, united?.intent as never), 'delivered');
    await addPeople(1, 3); // written after the crash, before the lease lapsed
    await sleep(1_500);

    const worker = await stack().createWorker(taskQueue);
    const relay = relayFor({ TEMPORAL_TASK_QUEUE: taskQueue, OUTBOX_POLL_INTERVAL_MS: 200 });
    try {
      await worker.runUntil(async () => {
        await until('the intents redelivered', async () => (await pendingOf(entities)) === 0, 60_000);
        await until(
          'both screenings finished',
          async () => (await personScreenings(org.id)).length === 2,
          60_000,
        );
      });
    } finally {
      await relay.stop();
    }
    const times = timesScreened(await personScreenings(org.id));
    assert.deepEqual(
      people.map((id) => times.get(id)),
      [2, 2, 2, 1],
      'the first three screened by both starts, the fourth by the second',
    );
  });

  it('POST …/exclusion-screenings while Temporal is down: 202 with the run, a second request joins it, the rescreen runs after its return', async () => {
    const taskQueue = `outbox-rescreen-${randomUUID()}`;
    const overrides: Partial<Config> = {
      TEMPORAL_TASK_QUEUE: taskQueue,
      OUTBOX_POLL_INTERVAL_MS: 300,
      OUTBOX_RETRY_MAX_DELAY_MS: 2_000,
    };
    const app = stack().createApp(overrides);
    const { org, admin, path } = await organizationWithOnePerson('Rescreen Outage Care');
    let first: any;
    await stack().restart.temporal(async () => {
      const started = await call(app, 'POST', path, { token: admin.token });
      assert.equal(started.status, 202, JSON.stringify(started.body));
      first = started.body;
      assert.equal(first.organizationId, org.id);
      assert.equal(first.kind, 'organization');
      assert.equal(first.workflowId, `exclusion-screening/organization/${org.id}`);
      assert.equal(first.links.self, `${path}/${first.id}`);
      const again = await call(app, 'POST', path, { token: admin.token });
      assert.equal(again.status, 202);
      assert.equal(again.body.id, first.id, 'a second request joins the requested rescreen');
      const run = await call(app, 'GET', first.links.self, { token: admin.token });
      assert.equal(run.status, 200);
      assert.equal(run.body.status, 'running');
      assert.equal(run.body.finishedAt, null);
      assert.equal(await pendingOf([`exclusion-screening/organization/${org.id}`]), 1);
    });
    const worker = await stack().createWorker(taskQueue);
    const relay = relayFor(overrides);
    try {
      await worker.runUntil(async () => {
        await until(
          'the rescreen ran',
          async () =>
            (await call(app, 'GET', first.links.self, { token: admin.token })).body.finishedAt !== null,
          60_000,
        );
      });
    } finally {
      await relay.stop();
    }
    const run = await call(app, 'GET', first.links.self, { token: admin.token });
    assert.ok(['succeeded', 'incomplete'].includes(run.body.status), run.body.status);
    assert.equal(run.body.peopleScreened, 1);
    assert.equal(run.body.trigger, 'manual');
    const runs = await query<{ id: string }>(
      stack().sequelize,
      'SELECT id FROM screening_runs WHERE workflow_id = $id',
      { id: first.workflowId },
    );
    assert.deepEqual(
      runs.map((row) => row.id),
      [first.id],
      'the execution adopted the requested run',
    );
    // Once it has ended, a new request is a new rescreen.
    const next = await call(app, 'POST', path, { token: admin.token });
    assert.equal(next.status, 202);
    assert.notEqual(next.body.id, first.id);
    await execute(stack().sequelize, 'DELETE FROM workflow_outbox WHERE entity_key = $key', {
      key: `exclusion-screening/organization/${org.id}`,
    });
    await stack().temporal.workflow.getHandle(first.workflowId).terminate('test cleanup');
  });

  it('a rescreen asked while an execution of its workflow id still runs waits for its end, then runs and fills the run it answered with', async () => {
    const taskQueue = `outbox-wait-${randomUUID()}`;
    const overrides: Partial<Config> = {
      TEMPORAL_TASK_QUEUE: taskQueue,
      OUTBOX_POLL_INTERVAL_MS: 300,
      OUTBOX_RETRY_MAX_DELAY_MS: 1_000,
    };
    const app = stack().createApp(overrides);
    const org = await createOrganization('Waiting Rescreen Care');
    const admin = await createMember(org.id, 'admin');
    const workflowId = `exclusion-screening/organization/${org.id}`;
    // An execution of the id that has not recorded a run (no worker polls its queue yet).
    const earlier = await stack().temporal.workflow.start(SCREENING_WORKFLOW_TYPE, {
      taskQueue: `outbox-nobody-${randomUUID()}`,
      workflowId,
      args: [{ kind: 'organization', organizationId: org.id }],
    });
    const started = await call(app, 'POST', `/v1/organizations/${org.id}/exclusion-screenings`, {
      token: admin.token,
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const entity = `exclusion-screening/organization/${org.id}`;
    const waiting = await queryOne<{ last_error: string | null }>(
      stack().sequelize,
      'SELECT last_error FROM workflow_outbox WHERE entity_key = $entity',
      { entity },
    );
    assert.match(waiting?.last_error ?? '', /still running/, 'the start waits for the running execution');
    const relay = relayFor(overrides);
    const worker = await stack().createWorker(taskQueue);
    try {
      await worker.runUntil(async () => {
        await earlier.terminate('test: the earlier execution ends');
        await until(
          'the requested run finished',
          async () =>
            (await call(app, 'GET', started.body.links.self, { token: admin.token })).body.finishedAt !==
            null,
          60_000,
        );
      });
    } finally {
      await relay.stop();
    }
    assert.equal(await pendingOf([entity]), 0);
    const run = await call(app, 'GET', started.body.links.self, { token: admin.token });
    assert.equal(run.body.trigger, 'manual');
    assert.ok(['succeeded', 'incomplete'].includes(run.body.status), run.body.status);
    const runs = await query<{ id: string; workflow_run_id: string }>(
      stack().sequelize,
      'SELECT id, workflow_run_id FROM screening_runs WHERE workflow_id = $workflowId',
      { workflowId },
    );
    assert.equal(runs.length, 1);
    assert.notEqual(runs[0]?.workflow_run_id, earlier.firstExecutionRunId, 'a new execution adopted the run');
  });

  it('a password reset asked while Temporal is down: 202, and the email goes out after its return', async () => {
    const sendgrid = await SendGridStub.start();
    try {
      const taskQueue = `outbox-reset-${randomUUID()}`;
      const overrides: Partial<Config> = {
        ...sendgrid.config(),
        TEMPORAL_TASK_QUEUE: taskQueue,
        OUTBOX_POLL_INTERVAL_MS: 300,
        OUTBOX_RETRY_MAX_DELAY_MS: 2_000,
      };
      const app = stack().createApp(overrides);
      const { user } = await createUser();
      await stack().restart.temporal(async () => {
        const requested = await call(app, 'POST', '/v1/auth/password-reset', { json: { email: user.email } });
        assert.equal(requested.status, 202);
        assert.equal(await pendingOf([`password-reset/${user.id}`]), 1, 'the email waits in the outbox');
      });
      const worker = await stack().createWorker(taskQueue, overrides);
      const relay = relayFor(overrides);
      try {
        await worker.runUntil(() => sendgrid.waitForRequests(1));
      } finally {
        await relay.stop();
      }
      assert.deepEqual(sendgrid.requests[0]?.to, [user.email]);
      assert.match(sendgrid.requests[0]?.text ?? '', /\/reset-password\?token=/);
      assert.equal(await pendingOf([`password-reset/${user.id}`]), 0);
    } finally {
      await sendgrid.close();
    }
  });
});
