import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { query } from '../../db/sql';
import { insertWorkAlert } from '../../db/work-alert-store';
import type { Config } from '../../lib/config';
import { exclusionSourceSyncWorkflowId } from '../../lib/exclusion-source-contract';
import { oigManualSyncWorkflowId } from '../../lib/workflow-contracts';
import { formatLeieFile, generateLeieRows } from '../../scripts/generate-leie';
import { startWorkflowOutboxRelay } from '../../services/workflow-outbox';
import { exclusionSourceSync } from '../../workflows/exclusion-source-sync';
import { createUser, workAlertEmails } from '../support/fixtures';
import { call } from '../support/http';
import { OigSiteStub } from '../support/oig-site-stub';
import { stack, testLogger } from '../support/stack';

/**
 * docs/spec.md §12 for the OIG sync: Postgres away longer than the alert delay (30 minutes, here
 * 3 s) — the sync waits it out, ends with exactly the file's rows, and the run was recorded as
 * retrying and emailed to platform admins; GET /v1/oig/status shows a sync that is retrying.
 */

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const resetOigState = () =>
  stack().sequelize.query('TRUNCATE oig_employees_exclusion; DELETE FROM oig_exclusions_check;');

describe('the OIG sync through a Postgres outage (docs/spec.md §12)', function () {
  this.timeout(180_000);
  let site: OigSiteStub;
  before(async () => {
    site = await OigSiteStub.start();
  });
  after(async () => {
    await resetOigState();
    await site.close();
  });

  it('waits the outage out and imports exactly the file; the run was recorded retrying, emailed, then cleared', async () => {
    await resetOigState();
    const platformAdmin = await createUser({ platformAdmin: true });
    const rows = [...generateLeieRows(5_000, 7)];
    site.setPageDate('12-01-2026');
    site.setCsv({ body: formatLeieFile(rows), etag: '"outage"' });
    const taskQueue = `oig-outage-${randomUUID()}`;
    const workflowId = `oig-sync/outage-${randomUUID()}`;
    const handle = await stack().temporal.workflow.start(exclusionSourceSync, {
      taskQueue,
      workflowId,
      args: [{ sourceId: 'leie', trigger: 'manual', alertAfterSeconds: 3 }],
    });
    const worker = await stack().createWorker(taskQueue, { ...site.config, EMAIL_PROVIDER: 'log' });
    let running: Promise<void> | undefined;
    await stack().restart.postgres(async () => {
      running = worker.run();
      await sleep(10_000);
    });
    let result: Awaited<ReturnType<typeof handle.result>>;
    try {
      result = await handle.result();
    } finally {
      worker.shutdown();
      await running;
    }
    assert.equal(result.status, 'imported');
    assert.equal(result.rowCount, rows.length);
    const [count] = await query<{ n: number }>(
      stack().sequelize,
      'SELECT count(*)::int AS n FROM oig_employees_exclusion',
    );
    assert.equal(count?.n, rows.length);
    const checks = await query<{ status: string }>(
      stack().sequelize,
      'SELECT status FROM oig_exclusions_check WHERE workflow_id = $workflowId',
      { workflowId },
    );
    assert.deepEqual(
      checks.map((check) => check.status),
      ['imported'],
    );

    const alerts = await query<{ state: string; reason: string; cleared_at: Date | null }>(
      stack().sequelize,
      'SELECT state, reason, cleared_at FROM work_alerts WHERE workflow_id = $workflowId',
      { workflowId },
    );
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0]?.state, 'retrying');
    assert.match(alerts[0]?.reason ?? '', /still retrying: .*\(attempt \d+\)/);
    assert.ok(alerts[0]?.cleared_at);
    const emails = await workAlertEmails(workflowId, platformAdmin.user.email);
    assert.deepEqual(
      emails.map((email) => email.subject),
      ['ALE: The OIG exclusion list sync is still retrying'],
    );
    const status = await call(stack().createApp(), 'GET', '/v1/oig/status', { token: platformAdmin.token });
    assert.equal(status.body.retrying, null, 'a sync that finished shows no alert');
  });

  it('GET /v1/oig/status shows a sync that is still retrying', async () => {
    const user = await createUser();
    const workflowId = `oig-sync/retrying-${randomUUID()}`;
    await insertWorkAlert(stack().sequelize, {
      kind: 'oig-sync',
      workflow_id: workflowId,
      workflow_run_id: randomUUID(),
      state: 'retrying',
      reason: 'still retrying: importOigList (attempt 31)',
      organization_id: null,
    });
    const status = await call(stack().createApp(), 'GET', '/v1/oig/status', { token: user.token });
    assert.equal(status.status, 200);
    assert.equal(status.body.retrying.workflowId, workflowId);
    assert.equal(status.body.retrying.reason, 'still retrying: importOigList (attempt 31)');
    await stack().sequelize.query('UPDATE work_alerts SET cleared_at = now() WHERE workflow_id = $1', {
      bind: [workflowId],
    });
  });

  it('POST /v1/oig/sync and …/exclusion-sources/{id}/sync while Temporal is down answer 202; the syncs start once it is back', async () => {
    await resetOigState();
    const platformAdmin = await createUser({ platformAdmin: true });
    const rows = [...generateLeieRows(200, 11)];
    site.setPageDate('12-02-2026');
    site.setCsv({ body: formatLeieFile(rows), etag: '"outbox"' });
    const workflowId = oigManualSyncWorkflowId();
    // A manual sync another test left running on a queue nobody polls would be joined instead.
    await stack()
      .temporal.workflow.getHandle(workflowId)
      .terminate('test setup')
      .catch(() => {});
    const taskQueue = `oig-outbox-${randomUUID()}`;
    const paWorkflowId = exclusionSourceSyncWorkflowId('pa_medicheck', 'manual');
    const overrides: Partial<Config> = {
      TEMPORAL_TASK_QUEUE: taskQueue,
      OUTBOX_POLL_INTERVAL_MS: 500,
      OUTBOX_RETRY_MAX_DELAY_MS: 2_000,
      EXCLUSION_SOURCES: ['leie', 'pa_medicheck'],
      PA_MEDICHECK_URL: 'http://127.0.0.1:9/medicheck.csv',
    };
    const app = stack().createApp(overrides);
    // Its own queue, which nobody polls: the PA sync is started, never run (no PA check is left behind).
    const paQueue = `${taskQueue}-pa`;
    const paApp = stack().createApp({ ...overrides, TEMPORAL_TASK_QUEUE: paQueue });
    const relay = startWorkflowOutboxRelay({
      config: { ...stack().config, ...overrides },
      sequelize: stack().sequelize,
      temporal: stack().temporal,
      logger: testLogger,
    });
    const worker = await stack().createWorker(taskQueue, site.config);
    try {
      let accepted: { status: number; body: any } | undefined;
      let paAccepted: { status: number; body: any } | undefined;
      await stack().restart.temporal(async () => {
        accepted = await call(app, 'POST', '/v1/oig/sync', {
          token: platformAdmin.token,
          json: { force: true },
        });
        paAccepted = await call(paApp, 'POST', '/v1/exclusion-sources/pa_medicheck/sync', {
          token: platformAdmin.token,
        });
      });
      assert.equal(paAccepted?.status, 202, JSON.stringify(paAccepted?.body));
      assert.equal(paAccepted?.body.workflowId, paWorkflowId);
      assert.equal(paAccepted?.body.runId, null);
      assert.equal(accepted?.status, 202, JSON.stringify(accepted?.body));
      assert.equal(accepted?.body.workflowId, workflowId);
      assert.equal(accepted?.body.runId, null, 'no run yet: Temporal was down');
      assert.equal(accepted?.body.alreadyRunning, false);
      assert.equal(accepted?.body.links.self, '/v1/oig/status');

      const result = await worker.runUntil(async () => {
        for (let tries = 0; ; tries++) {
          try {
            return await stack().temporal.workflow.getHandle(workflowId).result();
          } catch (error) {
            if (tries > 120) throw error;
            await sleep(500);
          }
        }
      });
      assert.equal(result.status, 'imported');
      assert.equal(result.rowCount, rows.length);
      const description = await stack().temporal.workflow.getHandle(workflowId).describe();
      assert.equal(description.type, 'exclusionSourceSync');
      const status = await call(app, 'GET', '/v1/oig/status', { token: platformAdmin.token });
      assert.equal(status.body.lastImport.rowCount, rows.length);
      assert.equal(status.body.lastCheck.workflowId, workflowId);
      const describePa = () => stack().temporal.workflow.getHandle(paWorkflowId).describe();
      let pa = await describePa().catch(() => undefined);
      for (let tries = 0; !pa && tries < 40; tries++) {
        await sleep(250);
        pa = await describePa().catch(() => undefined);
      }
      assert.ok(pa, 'the PA sync was started');
      assert.equal(pa.type, 'exclusionSourceSync');
      assert.equal(pa.taskQueue, paQueue);
    } finally {
      await relay.stop();
      await stack()
        .temporal.workflow.getHandle(paWorkflowId)
        .terminate('test done')
        .catch(() => {});
    }
  });
});
