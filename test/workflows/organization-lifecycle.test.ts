import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { recordSubdomainChange } from '../../db/organization-store';
import {
  newOrganizationLifecycleInput,
  ORGANIZATION_LIFECYCLE_WORKFLOW_TYPE,
  type OrganizationChange,
  type OrganizationLifecycleSettings,
  organizationChangeSignal,
  organizationStateQuery,
  organizationWorkflowId,
} from '../../lib/workflow-contracts';
import { findOrganizationRow, insertOrganizationRow } from '../support/fixtures';
import { call } from '../support/http';
import { stack } from '../support/stack';
import {
  auditActions,
  createWorkerWith,
  dnsRecords,
  freshSubdomain,
  logoObject,
  organizationApi,
  organizationWhen,
  pngOf,
  until,
} from './organization-support';

/** Starts (or signals) the lifecycle directly, with test settings, for an organization row created here. */
async function signalDirect(
  taskQueue: string,
  organizationId: string,
  change: OrganizationChange,
  settings: Partial<OrganizationLifecycleSettings>,
) {
  return stack().temporal.workflow.signalWithStart(ORGANIZATION_LIFECYCLE_WORKFLOW_TYPE, {
    workflowId: organizationWorkflowId(organizationId),
    taskQueue,
    args: [{ ...newOrganizationLifecycleInput(organizationId, null), settings }],
    signal: organizationChangeSignal,
    signalArgs: [change],
  });
}

async function provisioningRow(subdomain: string) {
  return insertOrganizationRow({
    name: 'Direct Agency',
    subdomain,
    status: 'provisioning',
    dns_status: 'pending',
  });
}

describe('organizationLifecycle workflow (real dev server, Postgres, moto)', () => {
  it('provisions: CNAME <sub>.<BASE_DOMAIN> → the distribution, TTL 300, organization active', async () => {
    const taskQueue = `org-${randomUUID()}`;
    const { app, admin } = await organizationApi(taskQueue);
    const worker = await stack().createWorker(taskQueue);
    const subdomain = freshSubdomain();
    await worker.runUntil(async () => {
      const created = await call(app, 'POST', '/v1/organizations', {
        token: admin.token,
        json: { name: 'Acme Care', subdomain },
      });
      assert.equal(created.status, 202);
      const organization = await organizationWhen(created.body.id, (o) => o.status === 'active');
      assert.equal(organization.dns_status, 'in_sync');
      assert.equal(organization.failure_reason, null);
    });
    const records = await dnsRecords(subdomain);
    assert.equal(records.length, 1);
    assert.equal(records[0]?.Type, 'CNAME');
    assert.equal(records[0]?.TTL, 300);
    assert.deepEqual(records[0]?.ResourceRecords, [{ Value: stack().config.CLOUDFRONT_DISTRIBUTION_DOMAIN }]);
  });

  it('changes the subdomain: new record present, old one gone; audited', async () => {
    const taskQueue = `org-${randomUUID()}`;
    const { app, admin } = await organizationApi(taskQueue);
    const worker = await stack().createWorker(taskQueue);
    const [before, after] = [freshSubdomain('old'), freshSubdomain('new')];
    await worker.runUntil(async () => {
      const { body } = await call(app, 'POST', '/v1/organizations', {
        token: admin.token,
        json: { name: 'Acme', subdomain: before },
      });
      await organizationWhen(body.id, (o) => o.status === 'active');
      const patched = await call(app, 'PATCH', `/v1/organizations/${body.id}`, {
        token: admin.token,
        json: { subdomain: after },
      });
      assert.equal(patched.status, 202);
      assert.equal(patched.body.status, 'provisioning');
      assert.equal(patched.body.dnsStatus, 'pending');
      await organizationWhen(body.id, (o) => o.status === 'active' && o.subdomain === after);
      assert.deepEqual(await auditActions(body.id), ['organization.create', 'organization.subdomain_change']);
    });
    assert.equal((await dnsRecords(after)).length, 1);
    assert.deepEqual(await dnsRecords(before), []);
  });

  it('two quick subdomain changes end with exactly one record, the last one', async () => {
    const taskQueue = `org-${randomUUID()}`;
    const { app, admin } = await organizationApi(taskQueue);
    const worker = await stack().createWorker(taskQueue);
    const [first, second, third] = [freshSubdomain('a'), freshSubdomain('b'), freshSubdomain('c')];
    await worker.runUntil(async () => {
      const { body } = await call(app, 'POST', '/v1/organizations', {
        token: admin.token,
        json: { name: 'Quick', subdomain: first },
      });
      await organizationWhen(body.id, (o) => o.status === 'active');
      const [one, two] = await Promise.all([
        call(app, 'PATCH', `/v1/organizations/${body.id}`, {
          token: admin.token,
          json: { subdomain: second },
        }),
        new Promise((resolve) => setTimeout(resolve, 5)).then(() =>
          call(app, 'PATCH', `/v1/organizations/${body.id}`, {
            token: admin.token,
            json: { subdomain: third },
          }),
        ),
      ]);
      assert.equal(one.status, 202);
      assert.equal(two.status, 202);
      await organizationWhen(body.id, (o) => o.status === 'active' && o.subdomain === third);
      const handle = stack().temporal.workflow.getHandle(organizationWorkflowId(body.id));
      await until('the queue to drain', async () => {
        const view = await handle.query(organizationStateQuery);
        return view.pending === 0 && view.step === 'idle';
      });
    });
    assert.deepEqual(
      (await dnsRecords(first, second, third)).map((record) => record.Name),
      [`${third}.${stack().config.BASE_DOMAIN}.`],
    );
  });

  it('deprovisions: record and logo gone, organization deleted, workflow completed', async () => {
    const taskQueue = `org-${randomUUID()}`;
    const { app, admin } = await organizationApi(taskQueue);
    const worker = await stack().createWorker(taskQueue);
    const subdomain = freshSubdomain('bye');
    await worker.runUntil(async () => {
      const { body } = await call(app, 'POST', '/v1/organizations', {
        token: admin.token,
        json: { name: 'Leaving', subdomain },
      });
      const logo = await call(app, 'PUT', `/v1/organizations/${body.id}/logo`, {
        token: admin.token,
        body: await pngOf(64, 64),
        headers: { 'content-type': 'image/png' },
      });
      assert.equal(logo.status, 202);
      const withLogo = await organizationWhen(body.id, (o) => o.status === 'active' && o.logo_key !== null);
      assert.ok(await logoObject(withLogo.logo_key as string));
      const deleted = await call(app, 'DELETE', `/v1/organizations/${body.id}`, { token: admin.token });
      assert.equal(deleted.status, 202);
      assert.equal(deleted.body.status, 'deprovisioning');
      const gone = await organizationWhen(body.id, (o) => o.status === 'deleted');
      assert.equal(gone.logo_url, null);
      assert.equal(await logoObject(withLogo.logo_key as string), null);
      const handle = stack().temporal.workflow.getHandle(organizationWorkflowId(body.id));
      assert.deepEqual(await handle.result(), { deleted: true });
      assert.deepEqual(await auditActions(body.id), [
        'organization.create',
        'organization.logo_change',
        'organization.delete',
      ]);
    });
    assert.deepEqual(await dnsRecords(subdomain), []);
  });

  it('a Route 53 refusal (no such hosted zone) leaves the organization failed with nothing behind; retry succeeds once fixed', async () => {
    const taskQueue = `org-${randomUUID()}`;
    const { app, admin } = await organizationApi(taskQueue);
    const subdomain = freshSubdomain('zone');
    const broken = await stack().createWorker(taskQueue, { ROUTE53_HOSTED_ZONE_ID: 'ZNOSUCHZONE0000' });
    const id = await broken.runUntil(async () => {
      const { body } = await call(app, 'POST', '/v1/organizations', {
        token: admin.token,
        json: { name: 'Unlucky', subdomain },
      });
      const failed = await organizationWhen(body.id, (o) => o.status === 'failed');
      assert.equal(failed.dns_status, 'failed');
      assert.match(failed.failure_reason ?? '', new RegExp(`subdomain "${subdomain}"`));
      assert.match(failed.failure_reason ?? '', /NoSuchHostedZone/);
      const shown = await call(app, 'GET', `/v1/organizations/${body.id}`, { token: admin.token });
      assert.equal(shown.body.status, 'failed');
      assert.equal(shown.body.failureReason, failed.failure_reason);
      return body.id as string;
    });
    assert.deepEqual(await dnsRecords(subdomain), []);

    const fixed = await stack().createWorker(taskQueue);
    await fixed.runUntil(async () => {
      const retried = await call(app, 'POST', `/v1/organizations/${id}/provisioning/retry`, {
        token: admin.token,
      });
      assert.equal(retried.status, 202);
      const active = await organizationWhen(id, (o) => o.status === 'active');
      assert.equal(active.dns_status, 'in_sync');
      assert.equal(active.failure_reason, null);
    });
    assert.equal((await dnsRecords(subdomain)).length, 1);
  });

  it('a change that never reaches INSYNC is compensated: new record removed, old one kept; retry finishes it', async () => {
    const taskQueue = `org-${randomUUID()}`;
    const [before, after] = [freshSubdomain('keep'), freshSubdomain('stuck')];
    const organization = await provisioningRow(before);
    const settings = { dnsPollIntervalSeconds: 1, dnsSyncTimeoutSeconds: 2 };
    const normal = await stack().createWorker(taskQueue);
    await normal.runUntil(async () => {
      await signalDirect(
        taskQueue,
        organization.id,
        { kind: 'ensureSubdomain', subdomain: before },
        settings,
      );
      await organizationWhen(organization.id, (o) => o.status === 'active');
    });
    await recordSubdomainChange(stack().sequelize, organization.id, after);
    const neverInSync = await createWorkerWith(taskQueue, { getDnsChangeStatus: async () => 'PENDING' });
    await neverInSync.runUntil(async () => {
      await signalDirect(taskQueue, organization.id, { kind: 'ensureSubdomain', subdomain: after }, settings);
      const failed = await organizationWhen(organization.id, (o) => o.status === 'failed');
      assert.equal(failed.dns_status, 'failed');
      assert.match(failed.failure_reason ?? '', /INSYNC/);
      assert.match(failed.failure_reason ?? '', /record was removed/);
    });
    assert.deepEqual(await dnsRecords(after), [], 'the record this run created is compensated');
    assert.equal((await dnsRecords(before)).length, 1, 'the live record is untouched');

    const again = await stack().createWorker(taskQueue);
    await again.runUntil(async () => {
      await signalDirect(taskQueue, organization.id, { kind: 'retry', subdomain: after }, settings);
      await organizationWhen(organization.id, (o) => o.status === 'active');
    });
    assert.equal((await dnsRecords(after)).length, 1);
    assert.deepEqual(await dnsRecords(before), []);
  });

  it('a worker killed between the UPSERT and INSYNC: a restarted worker finishes with one record', async () => {
    const taskQueue = `org-${randomUUID()}`;
    const subdomain = freshSubdomain('kill');
    const organization = await provisioningRow(subdomain);
    const handle = stack().temporal.workflow.getHandle(organizationWorkflowId(organization.id));
    // Route 53 keeps the change PENDING for the first worker (moto itself is always INSYNC).
    const first = await createWorkerWith(taskQueue, { getDnsChangeStatus: async () => 'PENDING' });
    const firstRun = first.run();
    await signalDirect(
      taskQueue,
      organization.id,
      { kind: 'ensureSubdomain', subdomain },
      { dnsPollIntervalSeconds: 1, dnsMaxPollIntervalSeconds: 1, dnsSyncTimeoutSeconds: 120 },
    );
    await until('the workflow to wait for INSYNC', async () => {
      const view = await handle.query(organizationStateQuery).catch(() => undefined);
      return view?.step === 'waiting-for-dns';
    });
    assert.equal((await dnsRecords(subdomain)).length, 1, 'the UPSERT happened');
    first.shutdown();
    await firstRun;
    assert.equal((await findOrganizationRow(organization.id)).status, 'provisioning');

    const second = await stack().createWorker(taskQueue);
    await second.runUntil(async () => {
      const active = await organizationWhen(organization.id, (o) => o.status === 'active');
      assert.equal(active.dns_status, 'in_sync');
    });
    assert.equal((await dnsRecords(subdomain)).length, 1);
  });

  it('continues as new with what is live, so a later change still deletes the old record', async () => {
    const taskQueue = `org-${randomUUID()}`;
    const names = [
      freshSubdomain('can'),
      freshSubdomain('can'),
      freshSubdomain('can'),
      freshSubdomain('can'),
    ];
    const organization = await provisioningRow(names[0] as string);
    const settings = { maxHistoryLength: 20 };
    const worker = await stack().createWorker(taskQueue);
    const handle = stack().temporal.workflow.getHandle(organizationWorkflowId(organization.id));
    await worker.runUntil(async () => {
      let firstRunId: string | undefined;
      for (const subdomain of names) {
        await recordSubdomainChange(stack().sequelize, organization.id, subdomain);
        const signalled = await signalDirect(
          taskQueue,
          organization.id,
          { kind: 'ensureSubdomain', subdomain },
          settings,
        );
        firstRunId ??= signalled.signaledRunId;
        await organizationWhen(organization.id, (o) => o.status === 'active' && o.subdomain === subdomain);
      }
      const first = await stack().temporal.workflow.getHandle(handle.workflowId, firstRunId).describe();
      assert.equal(first.status.name, 'CONTINUED_AS_NEW');
      const latest = await handle.describe();
      assert.notEqual(latest.runId, firstRunId);
      assert.equal(latest.status.name, 'RUNNING');
    });
    assert.deepEqual(
      (await dnsRecords(...names)).map((record) => record.Name),
      [`${names[3]}.${stack().config.BASE_DOMAIN}.`],
    );
  });
});
