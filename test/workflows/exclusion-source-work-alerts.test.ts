import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import { query } from '../../db/sql';
import type { Config } from '../../lib/config';
import { exclusionSourceSync } from '../../workflows/exclusion-source-sync';
import { createUser, workAlertEmails } from '../support/fixtures';
import { ListSiteStub } from '../support/list-site-stub';
import { stack } from '../support/stack';

/**
 * docs/spec.md §12 for every list, now that they share the LEIE's sync: a sync of another list that
 * fails is recorded as a `failed` work alert of kind `exclusion-source-sync` and emailed to platform
 * admins, as the LEIE's (`oig-sync`) always was.
 */
describe('work alerts of the exclusion-source sync (docs/spec.md §12)', function () {
  this.timeout(120_000);
  let site: ListSiteStub;
  before(async () => {
    site = await ListSiteStub.start();
  });
  after(() => site.close());

  it('a refused PA list fails the sync, records its failed alert and emails platform admins once', async () => {
    const platformAdmin = await createUser({ platformAdmin: true });
    site.set('/medicheck/alerts.csv', {
      body: '<!DOCTYPE html><html><body>Service unavailable</body></html>',
      contentType: 'text/html',
    });
    const overrides: Partial<Config> = {
      EXCLUSION_SOURCES: ['leie', 'pa_medicheck'],
      PA_MEDICHECK_URL: site.url('/medicheck/alerts.csv'),
      EMAIL_PROVIDER: 'log',
    };
    const taskQueue = `source-alerts-${randomUUID()}`;
    const workflowId = `exclusion-source-sync/pa_medicheck/alerts-${randomUUID()}`;
    const worker = await stack().createWorker(taskQueue, overrides);
    const outcome = await worker.runUntil(
      stack()
        .temporal.workflow.execute(exclusionSourceSync, {
          taskQueue,
          workflowId,
          args: [{ sourceId: 'pa_medicheck', trigger: 'manual' }],
        })
        .catch((error: unknown) => error),
    );
    assert.ok(outcome instanceof WorkflowFailedError, String(outcome));

    const alerts = await query<{ kind: string; state: string; reason: string }>(
      stack().sequelize,
      'SELECT kind, state, reason FROM work_alerts WHERE workflow_id = $workflowId',
      { workflowId },
    );
    assert.deepEqual(
      alerts.map((alert) => [alert.kind, alert.state]),
      [['exclusion-source-sync', 'failed']],
    );
    assert.match(alerts[0]?.reason ?? '', /^ExclusionSourceNotCsv: /);
    const emails = await workAlertEmails(workflowId, platformAdmin.user.email);
    assert.deepEqual(
      emails.map((email) => email.subject),
      ['ALE: An exclusion list sync failed'],
    );
  });
});
