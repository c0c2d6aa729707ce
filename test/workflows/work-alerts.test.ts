import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import { query, queryOne } from '../../db/sql';
import { type ScreeningScope, screeningWorkflowId } from '../../lib/workflow-contracts';
import { exclusionScreening } from '../../workflows/exclusion-screening';
import {
  deleteLeieRows,
  insertLeieRows,
  insertPeople,
  LEIE_ROWS,
  leieTag,
  PEOPLE,
} from '../fixtures/screening';
import { createMember, createOrganization, createUser, workAlertEmails } from '../support/fixtures';
import { call } from '../support/http';
import { SendGridStub } from '../support/sendgrid-stub';
import { stack } from '../support/stack';

/**
 * docs/spec.md §12: a screening that fails, or has been retrying for 30 minutes (shortened here), is
 * visible in its status and emailed to platform admins.
 */

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface AlertRow {
  state: string;
  reason: string;
  cleared_at: Date | null;
}

const alertsOf = (workflowId: string) =>
  query<AlertRow>(
    stack().sequelize,
    'SELECT state, reason, cleared_at FROM work_alerts WHERE workflow_id = $workflowId ORDER BY since',
    { workflowId },
  );

describe('work alerts of screenings (docs/spec.md §12)', function () {
  this.timeout(180_000);
  const tag = leieTag();
  before(() => insertLeieRows(LEIE_ROWS, tag));
  after(() => deleteLeieRows(tag));

  it('Postgres away longer than the alert delay: the run is recorded as retrying, admins are emailed once, and it still succeeds', async () => {
    const platformAdmin = await createUser({ platformAdmin: true });
    const organization = await createOrganization('Retrying Care');
    await insertPeople(organization.id, PEOPLE.slice(0, 2));
    const scope: ScreeningScope = { kind: 'organization', organizationId: organization.id };
    const workflowId = screeningWorkflowId('organization', `alerts-${randomUUID()}`);
    const taskQueue = `alerts-${randomUUID()}`;
    const handle = await stack().temporal.workflow.start(exclusionScreening, {
      taskQueue,
      workflowId,
      args: [scope, { alertAfterSeconds: 3 }],
    });
    const worker = await stack().createWorker(taskQueue, { EMAIL_PROVIDER: 'log' });
    let running: Promise<void> | undefined;
    // The worker starts only once Postgres is down: the run's first activity meets the outage.
    await stack().restart.postgres(async () => {
      running = worker.run();
      await sleep(10_000);
    });
    try {
      await handle.result();
    } finally {
      worker.shutdown();
      await running;
    }
    const alerts = await alertsOf(workflowId);
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0]?.state, 'retrying');
    assert.match(alerts[0]?.reason ?? '', /still retrying: startScreeningRun \(attempt \d+\)/);
    assert.ok(alerts[0]?.cleared_at, 'the run finished, so its status no longer shows the alert');
    const emails = await workAlertEmails(workflowId, platformAdmin.user.email);
    assert.deepEqual(
      emails.map((email) => [email.subject, email.status]),
      [['ALE: An exclusion screening is still retrying', 'sent']],
    );
  });

  it('a screening that fails shows its alert in GET …/exclusion-screenings/{id} and emails platform admins', async () => {
    const sendgrid = await SendGridStub.start();
    try {
      const platformAdmin = await createUser({ platformAdmin: true });
      const organization = await createOrganization('Failing Alerts Care');
      const admin = await createMember(organization.id, 'admin');
      await insertPeople(organization.id, PEOPLE);
      // The organization's only admin address is refused: the screening fails (ExclusionAlertUndelivered).
      sendgrid.respondWith({ status: 400, body: { errors: [{ message: 'invalid address' }] } });
      const taskQueue = `alerts-${randomUUID()}`;
      const workflowId = screeningWorkflowId('organization', `alerts-${randomUUID()}`);
      const worker = await stack().createWorker(taskQueue, sendgrid.config());
      const outcome = await worker.runUntil(
        stack()
          .temporal.workflow.execute(exclusionScreening, {
            taskQueue,
            workflowId,
            args: [{ kind: 'organization', organizationId: organization.id }],
          })
          .catch((error: unknown) => error),
      );
      assert.ok(outcome instanceof WorkflowFailedError, String(outcome));

      const run = await queryOne<{ id: string }>(
        stack().sequelize,
        'SELECT id FROM screening_runs WHERE workflow_id = $workflowId',
        { workflowId },
      );
      const shown = await call(
        stack().createApp(),
        'GET',
        `/v1/organizations/${organization.id}/exclusion-screenings/${run?.id}`,
        { token: admin.token },
      );
      assert.equal(shown.status, 200, JSON.stringify(shown.body));
      assert.equal(shown.body.status, 'failed');
      assert.equal(shown.body.alert.state, 'failed');
      assert.match(shown.body.alert.reason, /^ExclusionAlertUndelivered: /);
      const mails = sendgrid.to(platformAdmin.user.email);
      assert.equal(mails.length, 1);
      assert.equal(mails[0]?.subject, 'ALE: An exclusion screening failed');
      assert.ok(mails[0]?.text?.includes(workflowId));
    } finally {
      await sendgrid.close();
    }
  });
});
