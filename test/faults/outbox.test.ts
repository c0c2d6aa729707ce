import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { QueryTypes } from 'sequelize';
import { insertWorkflowIntent } from '../../db/workflow-outbox-store';
import type { Config } from '../../lib/config';
import { SCREENING_WORKFLOW_TYPE, screeningWorkflowId } from '../../lib/workflow-contracts';
import { startWorkflowOutboxRelay } from '../../services/workflow-outbox';
import { createMember, createOrganization } from '../support/fixtures';
import { call } from '../support/http';
import { personScreenings, timesScreened } from '../support/outbox-screenings';
import { stack, testLogger } from '../support/stack';
import { until } from '../workflows/organization-support';
import { employeeCsv, employeesOf, importRow } from '../workflows/roster-import-support';

/**
 * The outbox of docs/spec.md §12 against the real stack: the Temporal dev server is stopped while
 * the API takes writes, and the relay delivers them once it is back.
 */

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function pendingIntents(entityKeys: string[]) {
  const [row] = await stack().sequelize.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM workflow_outbox WHERE entity_key = ANY($keys)',
    { bind: { keys: entityKeys }, type: QueryTypes.SELECT },
  );
  return row?.n ?? 0;
}

describe('the workflow outbox under a Temporal outage (docs/spec.md §12)', function () {
  this.timeout(240_000);

  it('50 people and an import written while Temporal is down: each screened within 60 s of its return, once', async () => {
    const taskQueue = `outbox-${randomUUID()}`;
    const overrides: Partial<Config> = {
      TEMPORAL_TASK_QUEUE: taskQueue,
      OUTBOX_POLL_INTERVAL_MS: 500,
      OUTBOX_RETRY_MAX_DELAY_MS: 5_000,
    };
    const config = { ...stack().config, ...overrides };
    const app = stack().createApp(overrides);
    const org = await createOrganization('Outbox Home Care');
    const admin = await createMember(org.id, 'admin');
    const relay = startWorkflowOutboxRelay({
      config,
      sequelize: stack().sequelize,
      temporal: stack().temporal,
      logger: testLogger,
    });
    const worker = await stack().createWorker(taskQueue);
    const createdIds: string[] = [];
    const entities: string[] = [];
    let importId = '';
    let returnedAt = 0;
    try {
      await worker.runUntil(async () => {
        await stack().restart.temporal(async () => {
          for (let i = 0; i < 50; i += 10) {
            const batch = await Promise.all(
              Array.from({ length: 10 }, (_, j) =>
                call(app, 'POST', `/v1/organizations/${org.id}/employees`, {
                  token: admin.token,
                  json: {
                    kind: 'employee',
                    externalId: `OUT-${i + j}`,
                    firstName: 'Ada',
                    lastName: `Outage${i + j}`,
                  },
                }),
              ),
            );
            for (const created of batch) {
              // Accepted while Temporal is down: the intent is committed with the person.
              assert.equal(created.status, 202, JSON.stringify(created.body));
              createdIds.push(created.body.id);
              entities.push(`employee/${created.body.id}`);
            }
          }
          const started = await call(app, 'POST', `/v1/organizations/${org.id}/imports?kind=employees`, {
            token: admin.token,
            body: employeeCsv(20),
            headers: { 'content-type': 'text/csv' },
          });
          assert.equal(started.status, 202, JSON.stringify(started.body));
          importId = started.body.id;
          entities.push(`roster-imports/${org.id}/employees`);
          assert.equal(await pendingIntents(entities), 51, 'every start waits in the outbox');
          await sleep(3_000); // the relay keeps failing meanwhile; nothing is lost
          assert.equal(await pendingIntents(entities), 51);
        });
        returnedAt = Date.now();
        await until(
          'every person screened',
          async () => {
            const times = timesScreened(await personScreenings(org.id));
            return createdIds.every((id) => times.has(id));
          },
          60_000,
        );
        const screenedWithin = Date.now() - returnedAt;
        assert.ok(screenedWithin < 60_000, `screened ${screenedWithin} ms after Temporal's return`);
        await until(
          'the import finished',
          async () => (await importRow(importId)).status === 'succeeded',
          60_000,
        );
      });
    } finally {
      await relay.stop();
    }
    assert.equal(await pendingIntents(entities), 0);
    // The backlog's starts may be united (docs/architecture.md, "The outbox"): each person once.
    const times = timesScreened(await personScreenings(org.id));
    assert.deepEqual(
      createdIds.filter((id) => times.get(id) !== 1),
      [],
      'each person screened once',
    );
    const people = await employeesOf(org.id);
    assert.equal(people.length, 70);
    assert.equal(new Set(people.map((person) => person.external_id)).size, 70);
    assert.equal((await importRow(importId)).insertedCount, 20);
  });

  it('an intent committed by a process that died before delivering it is delivered by the relay', async () => {
    const taskQueue = `outbox-${randomUUID()}`;
    const org = await createOrganization('Crashed API Care');
    const workflowId = screeningWorkflowId('organization', `outbox-${randomUUID()}`);
    await insertWorkflowIntent(stack().sequelize, `test/${workflowId}`, {
      kind: 'start',
      workflowType: SCREENING_WORKFLOW_TYPE,
      workflowId,
      taskQueue,
      args: [{ kind: 'organization', organizationId: org.id }],
    });
    const relay = startWorkflowOutboxRelay({
      config: { ...stack().config, OUTBOX_POLL_INTERVAL_MS: 200 },
      sequelize: stack().sequelize,
      temporal: stack().temporal,
      logger: testLogger,
    });
    try {
      const worker = await stack().createWorker(taskQueue);
      await worker.runUntil(async () => {
        await until('the workflow started by the relay', async () =>
          stack()
            .temporal.workflow.getHandle(workflowId)
            .describe()
            .then(() => true)
            .catch(() => false),
        );
        await stack().temporal.workflow.getHandle(workflowId).result();
      });
    } finally {
      await relay.stop();
    }
    assert.equal(await pendingIntents([`test/${workflowId}`]), 0);
  });
});
