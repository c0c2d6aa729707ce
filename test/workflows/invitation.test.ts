import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { decodeJwt } from 'jose';
import { findInvitation } from '../../db/invitation-store';
import type { Config } from '../../lib/config';
import { type InvitationWorkflowResult, invitationWorkflowId } from '../../lib/workflow-contracts';
import {
  createMember,
  createOrganization,
  emailMessagesAbout,
  setOrganizationState,
} from '../support/fixtures';
import { call } from '../support/http';
import { type RecordedMail, SendGridStub } from '../support/sendgrid-stub';
import { stack } from '../support/stack';

const PASSWORD = 'a long enough password';

/** One invitation world: SendGrid stub, a worker and the app on a fresh task queue, an org and its admin. */
async function world(overrides: Partial<Config> = {}) {
  const sendgrid = await SendGridStub.start();
  const taskQueue = `invitation-${randomUUID()}`;
  const config: Partial<Config> = {
    ...sendgrid.config(),
    TEMPORAL_TASK_QUEUE: taskQueue,
    INVITATION_REMINDER_AFTER: 3600,
    INVITATION_TOKEN_EXPIRE: 7200,
    ...overrides,
  };
  const app = stack().createApp(config);
  const organization = await createOrganization('Acme <Home> Care');
  await setOrganizationState(organization.id, { logo_url: 'https://cdn.ale.test/logos/acme.png' });
  const admin = await createMember(organization.id, 'admin');
  const email = `invitee-${randomUUID()}@example.test`;
  const invite = async (role = 'member') => {
    const response = await call(app, 'POST', `/v1/organizations/${organization.id}/invitations`, {
      token: admin.token,
      json: { email, role },
    });
    assert.equal(response.status, 202, JSON.stringify(response.body));
    return response.body as { id: string; workflowId: string; status: string };
  };
  const accept = (token: string) =>
    call(app, 'POST', '/v1/invitations/accept', { json: { token, name: 'Ivy Invitee', password: PASSWORD } });
  const result = (invitationId: string) =>
    stack()
      .temporal.workflow.getHandle(invitationWorkflowId(invitationId))
      .result() as Promise<InvitationWorkflowResult>;
  return {
    sendgrid,
    taskQueue,
    app,
    organization,
    admin,
    email,
    invite,
    accept,
    result,
    worker: () => stack().createWorker(taskQueue, config),
  };
}

function tokenFrom(mail: RecordedMail | undefined): string {
  const match = mail?.text?.match(/accept-invitation\?token=([^\s]+)/);
  assert.ok(match?.[1], 'the email carries an accept link');
  return decodeURIComponent(match[1]);
}

/** The invitation a token is bound to (two sends of one invitation differ only in `iat`). */
function invitationOf(token: string) {
  const { sub, jti, exp } = decodeJwt(token);
  return { sub, jti, exp };
}

async function eventually<T>(
  probe: () => Promise<T | undefined | null | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('invitation workflow (real worker, dev server, Postgres; SendGrid stub)', function () {
  this.timeout(90_000);
  let w: Awaited<ReturnType<typeof world>>;
  afterEach(() => w?.sendgrid.close());

  it('sends one email with the org host link, name and logo; accepting creates a user who can log in', async () => {
    w = await world();
    const worker = await w.worker();
    await worker.runUntil(async () => {
      const created = await w.invite();
      assert.equal(created.workflowId, `invitation/${created.id}`);
      await w.sendgrid.waitForRequests(1);
      const [mail] = w.sendgrid.requests;
      assert.deepEqual(mail?.to, [w.email]);
      assert.ok(
        mail?.text?.includes(
          `https://${w.organization.subdomain}.${stack().config.BASE_DOMAIN}/accept-invitation?token=`,
        ),
      );
      assert.ok(mail?.text?.includes('Acme <Home> Care'));
      assert.ok(mail?.html?.includes('Acme &lt;Home&gt; Care'));
      assert.ok(mail?.html?.includes('src="https://cdn.ale.test/logos/acme.png"'));
      assert.ok(
        mail?.html?.includes(
          `https://${w.organization.subdomain}.${stack().config.BASE_DOMAIN}/accept-invitation?token=`,
        ),
      );

      const sent = await eventually(async () => {
        const row = await findInvitation(stack().sequelize, created.id);
        return row?.status === 'sent' && row;
      });
      assert.ok(sent.sent_at);
      const messages = await emailMessagesAbout(created.id);
      assert.equal(messages.length, 1);
      assert.equal(messages[0]?.provider_message_id, mail?.messageId);
      assert.equal(messages[0]?.to_address, w.email);

      const accepted = await w.accept(tokenFrom(mail));
      assert.equal(accepted.status, 201, JSON.stringify(accepted.body));
      assert.equal(accepted.body.user.email, w.email);
      assert.equal(accepted.body.role, 'member');
      const me = await call(w.app, 'GET', '/v1/auth/me', { token: accepted.body.accessToken });
      assert.equal(me.status, 200);
      assert.deepEqual(
        me.body.memberships.map((m: { organizationId: string; role: string }) => [m.organizationId, m.role]),
        [[w.organization.id, 'member']],
      );
      const login = await call(w.app, 'POST', '/v1/auth/login', {
        json: { email: w.email, password: PASSWORD },
      });
      assert.equal(login.status, 200);

      assert.deepEqual(await w.result(created.id), { outcome: 'accepted', emailsSent: 1 });
      assert.equal((await findInvitation(stack().sequelize, created.id))?.status, 'accepted');
    });
  });

  it('sends one reminder after INVITATION_REMINDER_AFTER while still pending', async () => {
    w = await world({ INVITATION_REMINDER_AFTER: 2, INVITATION_TOKEN_EXPIRE: 8 });
    const worker = await w.worker();
    await worker.runUntil(async () => {
      const created = await w.invite();
      await w.sendgrid.waitForRequests(2);
      const [first, reminder] = w.sendgrid.requests;
      assert.match(reminder?.subject ?? '', /Reminder/);
      assert.deepEqual(reminder?.to, [w.email]);
      assert.deepEqual(invitationOf(tokenFrom(reminder)), invitationOf(tokenFrom(first)));
      // Only one reminder: the next thing that happens is the expiry.
      assert.deepEqual(await w.result(created.id), { outcome: 'expired', emailsSent: 2 });
      assert.equal(w.sendgrid.requests.length, 2);
      const row = await findInvitation(stack().sequelize, created.id);
      assert.ok(row);
      assert.ok(row.reminder_sent_at);
      assert.equal(row.status, 'expired');
    });
  });

  it('expires at INVITATION_TOKEN_EXPIRE; accepting then answers 410', async () => {
    w = await world({ INVITATION_TOKEN_EXPIRE: 3 });
    const worker = await w.worker();
    await worker.runUntil(async () => {
      const created = await w.invite();
      await w.sendgrid.waitForRequests(1);
      assert.deepEqual(await w.result(created.id), { outcome: 'expired', emailsSent: 1 });
      assert.equal((await findInvitation(stack().sequelize, created.id))?.status, 'expired');
      const late = await w.accept(tokenFrom(w.sendgrid.requests[0]));
      assert.equal(late.status, 410);
    });
  });

  it('revoke: the link answers 410 and the workflow ends without a reminder', async () => {
    w = await world({ INVITATION_REMINDER_AFTER: 3 });
    const worker = await w.worker();
    await worker.runUntil(async () => {
      const created = await w.invite();
      await w.sendgrid.waitForRequests(1);
      const revoked = await call(
        w.app,
        'DELETE',
        `/v1/organizations/${w.organization.id}/invitations/${created.id}`,
        { token: w.admin.token },
      );
      assert.equal(revoked.status, 202);
      assert.equal(revoked.body.status, 'revoked');
      assert.deepEqual(await w.result(created.id), { outcome: 'revoked', emailsSent: 1 });
      const accept = await w.accept(tokenFrom(w.sendgrid.requests[0]));
      assert.equal(accept.status, 410);
      const again = await call(
        w.app,
        'DELETE',
        `/v1/organizations/${w.organization.id}/invitations/${created.id}`,
        {
          token: w.admin.token,
        },
      );
      assert.equal(again.status, 409);
      assert.equal(w.sendgrid.requests.length, 1);
    });
  });

  it('resend sends a second message with the same link', async () => {
    w = await world();
    const worker = await w.worker();
    await worker.runUntil(async () => {
      const created = await w.invite();
      await w.sendgrid.waitForRequests(1);
      const resent = await call(
        w.app,
        'POST',
        `/v1/organizations/${w.organization.id}/invitations/${created.id}/resend`,
        { token: w.admin.token },
      );
      assert.equal(resent.status, 202);
      assert.equal(resent.body.workflowId, created.workflowId);
      await w.sendgrid.waitForRequests(2);
      const [first, second] = w.sendgrid.requests;
      assert.deepEqual(second?.to, [w.email]);
      assert.doesNotMatch(second?.subject ?? '', /Reminder/);
      assert.deepEqual(invitationOf(tokenFrom(second)), invitationOf(tokenFrom(first)));
      assert.notEqual(second?.messageId, first?.messageId);
      await eventually(async () => (await emailMessagesAbout(created.id)).length === 2);
      const accepted = await w.accept(tokenFrom(second));
      assert.equal(accepted.status, 201);
      assert.deepEqual(await w.result(created.id), { outcome: 'accepted', emailsSent: 2 });
    });
  });

  it('SendGrid 500 twice then 202: retried with backoff, sent exactly once', async () => {
    w = await world();
    w.sendgrid.respondWith({ status: 500 }, { status: 500 });
    const worker = await w.worker();
    await worker.runUntil(async () => {
      const created = await w.invite();
      await w.sendgrid.waitForRequests(3);
      assert.deepEqual(
        w.sendgrid.requests.map((r) => r.status),
        [500, 500, 202],
      );
      const row = await eventually(async () => {
        const invitation = await findInvitation(stack().sequelize, created.id);
        return invitation?.status === 'sent' && invitation;
      });
      assert.equal(row.failure_reason, null);
      const messages = await emailMessagesAbout(created.id);
      assert.equal(messages.length, 1);
      assert.equal(messages[0]?.status, 'sent');
      assert.equal(messages[0]?.provider_message_id, w.sendgrid.requests[2]?.messageId);
      const history = await stack().temporal.workflow.getHandle(created.workflowId).fetchHistory();
      // One activity, three attempts: the retries came from the activity's retry policy.
      const events = history.events ?? [];
      const sends = events.filter(
        (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'sendInvitationEmail',
      );
      assert.equal(sends.length, 1);
      const started = events.find(
        (e) =>
          e.activityTaskStartedEventAttributes &&
          Number(e.activityTaskStartedEventAttributes.scheduledEventId) === Number(sends[0]?.eventId),
      );
      assert.equal(started?.activityTaskStartedEventAttributes?.attempt, 3);
      await call(w.app, 'DELETE', `/v1/organizations/${w.organization.id}/invitations/${created.id}`, {
        token: w.admin.token,
      });
      await w.result(created.id);
    });
  });

  it('SendGrid 400: the invitation becomes failed with the reason, without retry', async () => {
    w = await world();
    w.sendgrid.respondWith({
      status: 400,
      body: { errors: [{ message: 'Does not contain a valid address.' }] },
    });
    const worker = await w.worker();
    await worker.runUntil(async () => {
      const created = await w.invite();
      assert.deepEqual(await w.result(created.id), { outcome: 'failed', emailsSent: 0 });
      assert.equal(w.sendgrid.requests.length, 1);
      const shown = await call(
        w.app,
        'GET',
        `/v1/organizations/${w.organization.id}/invitations/${created.id}`,
        {
          token: w.admin.token,
        },
      );
      assert.equal(shown.body.status, 'failed');
      assert.match(shown.body.failureReason, /400.*valid address/);
      const [message] = await emailMessagesAbout(created.id);
      assert.equal(message?.status, 'failed');
      // A failed invitation no longer blocks a new one for the same address.
      const retry = await call(w.app, 'POST', `/v1/organizations/${w.organization.id}/invitations`, {
        token: w.admin.token,
        json: { email: w.email, role: 'member' },
      });
      assert.equal(retry.status, 202);
    });
  });

  it('double accept: the second answers 410', async () => {
    w = await world();
    const worker = await w.worker();
    await worker.runUntil(async () => {
      await w.invite();
      await w.sendgrid.waitForRequests(1);
      const token = tokenFrom(w.sendgrid.requests[0]);
      const [a, b] = await Promise.all([w.accept(token), w.accept(token)]);
      assert.deepEqual([a.status, b.status].sort(), [201, 410]);
      const third = await w.accept(token);
      assert.equal(third.status, 410);
    });
  });

  it('a worker restart while the workflow waits: the reminder still comes', async () => {
    w = await world({ INVITATION_REMINDER_AFTER: 4, INVITATION_TOKEN_EXPIRE: 60 });
    let created: { id: string } | undefined;
    const first = await w.worker();
    await first.runUntil(async () => {
      created = await w.invite();
      await w.sendgrid.waitForRequests(1);
    });
    assert.equal(w.sendgrid.requests.length, 1);
    assert.ok(created);
    const second = await w.worker();
    await second.runUntil(async () => {
      await w.sendgrid.waitForRequests(2);
      assert.match(w.sendgrid.requests[1]?.subject ?? '', /Reminder/);
      await call(w.app, 'DELETE', `/v1/organizations/${w.organization.id}/invitations/${created?.id}`, {
        token: w.admin.token,
      });
      assert.equal((await w.result(created?.id ?? '')).outcome, 'revoked');
    });
  });
});
