import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { findInvitation } from '../../db/invitation-store';
import type { Config } from '../../lib/config';
import {
  invitationWorkflowId,
  newOrganizationLifecycleInput,
  ORGANIZATION_LIFECYCLE_WORKFLOW_TYPE,
  organizationChangeSignal,
  organizationStateQuery,
  organizationWorkflowId,
} from '../../lib/workflow-contracts';
import {
  allRowsInserted,
  createMember,
  createOrganization,
  createUser,
  emailMessagesAbout,
  findOrganizationRow,
  insertOrganizationRow,
} from '../support/fixtures';
import { call } from '../support/http';
import { SendGridStub } from '../support/sendgrid-stub';
import { stack } from '../support/stack';
import { startWorkerProcess } from '../support/worker-process';
import { dnsRecords, freshSubdomain, organizationWhen, until } from '../workflows/organization-support';
import {
  employeeCsv,
  employeesOf,
  importErrors,
  importRow,
  stageImport,
  startImportWorkflow,
} from '../workflows/roster-import-support';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** An invitation whose reminder is due `reminderSeconds` after the first email. */
async function invitationWorld(reminderSeconds: number) {
  const sendgrid = await SendGridStub.start();
  const taskQueue = `faults-${randomUUID()}`;
  const config: Partial<Config> = {
    ...sendgrid.config(),
    TEMPORAL_TASK_QUEUE: taskQueue,
    INVITATION_REMINDER_AFTER: reminderSeconds,
    INVITATION_TOKEN_EXPIRE: 3600,
  };
  const organization = await createOrganization('Durable Care');
  const admin = await createMember(organization.id, 'admin');
  const email = `durable-${randomUUID()}@example.test`;
  const invite = async () => {
    const response = await call(
      stack().createApp(config),
      'POST',
      `/v1/organizations/${organization.id}/invitations`,
      {
        token: admin.token,
        json: { email, role: 'member' },
      },
    );
    assert.equal(response.status, 202, JSON.stringify(response.body));
    return response.body.id as string;
  };
  const revoke = (id: string) =>
    call(stack().createApp(config), 'DELETE', `/v1/organizations/${organization.id}/invitations/${id}`, {
      token: admin.token,
    });
  return { sendgrid, taskQueue, config, email, invite, revoke };
}

describe('durability under faults (docs/spec.md §7)', function () {
  this.timeout(180_000);

  it('kill -9 of the worker while an invitation waits for its reminder: a new worker sends exactly one reminder', async () => {
    const world = await invitationWorld(8);
    const doomed = await startWorkerProcess(world.taskQueue, world.config);
    const invitationId = await world.invite();
    await until('the first email', async () => world.sendgrid.to(world.email).length === 1);
    await until(
      'the invitation marked sent',
      async () => (await findInvitation(stack().sequelize, invitationId))?.status === 'sent',
    );
    // The row is marked sent inside the email activity: killed before it reported back, the worker
    // would leave that activity to its 1-minute timeout instead of a workflow waiting on its timer.
    const handle = stack().temporal.workflow.getHandle(invitationWorkflowId(invitationId));
    await until('the workflow waiting for the reminder', async () =>
      (await handle.fetchHistory()).events?.some((event) => event.timerStartedEventAttributes),
    );
    await doomed.kill9();

    const worker = await stack().createWorker(world.taskQueue, world.config);
    await worker.runUntil(async () => {
      await until('the reminder', async () => world.sendgrid.to(world.email).length >= 2, 40_000);
      await sleep(2_000); // a duplicate would arrive now
      assert.equal((await world.revoke(invitationId)).status, 202);
      await handle.result();
    });
    assert.equal(world.sendgrid.to(world.email).length, 2);
    const messages = (await emailMessagesAbout(invitationId)).length;
    assert.equal(messages, 2);
    assert.ok((await findInvitation(stack().sequelize, invitationId))?.reminder_sent_at);
    await world.sendgrid.close();
  });

  it('the Temporal server restarted on its SQLite file mid-workflow: the timer survives and fires once', async () => {
    const world = await invitationWorld(10);
    const worker = await stack().createWorker(world.taskQueue, world.config);
    await worker.runUntil(async () => {
      const invitationId = await world.invite();
      await until('the first email', async () => world.sendgrid.to(world.email).length === 1);
      await stack().restart.temporal(() => sleep(2_000));
      await until(
        'the reminder after the restart',
        async () => world.sendgrid.to(world.email).length >= 2,
        60_000,
      );
      await sleep(2_000);
      assert.equal((await world.revoke(invitationId)).status, 202);
      await stack().temporal.workflow.getHandle(invitationWorkflowId(invitationId)).result();
    });
    assert.equal(world.sendgrid.to(world.email).length, 2);
    await world.sendgrid.close();
  });

  it('Postgres stopped while provisioning: activities retry and the organization ends active with one record', async () => {
    const taskQueue = `faults-${randomUUID()}`;
    const app = stack().createApp({ TEMPORAL_TASK_QUEUE: taskQueue });
    const { token } = await createUser({ platformAdmin: true });
    const subdomain = freshSubdomain('pgdown');
    const created = await call(app, 'POST', '/v1/organizations', {
      token,
      json: { name: 'Outage Home Care', subdomain },
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const worker = await stack().createWorker(taskQueue);
    let running: Promise<void> | undefined;
    // The worker starts only once Postgres is down, so its first activities meet the outage.
    await stack().restart.postgres(async () => {
      running = worker.run();
      await sleep(6_000);
    });
    try {
      const organization = await organizationWhen(created.body.id, (org) => org.status === 'active', 90_000);
      assert.equal(organization.dns_status, 'in_sync');
      const history = await stack()
        .temporal.workflow.getHandle(organizationWorkflowId(created.body.id))
        .fetchHistory();
      const retried = (history.events ?? []).some(
        (event) => (event.activityTaskStartedEventAttributes?.attempt ?? 1) > 1,
      );
      assert.ok(retried, 'an activity ran again after Postgres came back');
    } finally {
      worker.shutdown();
      await running;
    }
    const records = await dnsRecords(subdomain);
    assert.equal(records.length, 1);
    assert.equal(records[0]?.ResourceRecords?.[0]?.Value, stack().config.CLOUDFRONT_DISTRIBUTION_DOMAIN);
  });

  it('kill -9 of the worker mid-file of an import: the retry ends with exactly the right rows and counts', async () => {
    const rows = 20_000;
    const organization = await createOrganization('Crash Test Care');
    const imp = await stageImport(organization.id, employeeCsv(rows));
    const taskQueue = `faults-${randomUUID()}`;
    const doomed = await startWorkerProcess(taskQueue);
    const handle = await startImportWorkflow(taskQueue, imp.id, 200);
    const atKill = await until(
      'an import in the middle of its file',
      async () => {
        const processed = (await importRow(imp.id)).rowsProcessed;
        return processed >= 2_000 && processed < rows ? processed : false;
      },
      60_000,
    );
    await doomed.kill9();
    assert.ok(atKill < rows);

    const worker = await stack().createWorker(taskQueue);
    const summary = await worker.runUntil(handle.result());
    assert.equal(summary.status, 'succeeded');
    assert.deepEqual(summary.counts, allRowsInserted(rows));
    const people = await employeesOf(organization.id);
    assert.equal(people.length, rows);
    assert.equal(new Set(people.map((person) => person.external_id)).size, rows);
    assert.deepEqual(await importErrors(imp.id), []);
  });

  it('kill -9 of the worker between the UPSERT and INSYNC: a new worker finishes with one record', async () => {
    const taskQueue = `faults-${randomUUID()}`;
    const subdomain = freshSubdomain('kill9');
    const organization = await insertOrganizationRow({
      name: 'Killed Mid-DNS',
      subdomain,
      status: 'provisioning',
      dns_status: 'pending',
    });
    const doomed = await startWorkerProcess(taskQueue, {}, 'test/faults/pending-dns-worker.ts');
    const handle = await stack().temporal.workflow.signalWithStart(ORGANIZATION_LIFECYCLE_WORKFLOW_TYPE, {
      workflowId: organizationWorkflowId(organization.id),
      taskQueue,
      args: [
        {
          ...newOrganizationLifecycleInput(organization.id, null),
          settings: { dnsPollIntervalSeconds: 1, dnsMaxPollIntervalSeconds: 1, dnsSyncTimeoutSeconds: 120 },
        },
      ],
      signal: organizationChangeSignal,
      signalArgs: [{ kind: 'ensureSubdomain', subdomain }],
    });
    await until('the workflow waiting for INSYNC', async () => {
      const view = await handle.query(organizationStateQuery).catch(() => undefined);
      return view?.step === 'waiting-for-dns';
    });
    assert.equal((await dnsRecords(subdomain)).length, 1, 'the UPSERT happened');
    await doomed.kill9();
    assert.equal((await findOrganizationRow(organization.id)).status, 'provisioning');

    const worker = await stack().createWorker(taskQueue);
    await worker.runUntil(async () => {
      const active = await organizationWhen(organization.id, (org) => org.status === 'active', 60_000);
      assert.equal(active.dns_status, 'in_sync');
    });
    assert.equal((await dnsRecords(subdomain)).length, 1);
  });
});
