import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { findInvitation } from '../../db/invitation-store';
import { type InvitationWorkflowResult, invitationWorkflowId } from '../../lib/workflow-contracts';
import { createMember, createOrganization, emailMessagesAbout } from '../support/fixtures';
import { call } from '../support/http';
import { type RecordedMail, SendGridStub } from '../support/sendgrid-stub';
import { stack } from '../support/stack';
import { until } from './organization-support';

/**
 * docs/spec.md §12: a failed reminder or resend never invalidates a link that was delivered; the
 * invitation is `failed` only when no send ever succeeded.
 */

const REJECTED = { status: 400, body: { errors: [{ message: 'Does not contain a valid address.' }] } };

function tokenFrom(mail: RecordedMail | undefined): string {
  const match = mail?.text?.match(/accept-invitation\?token=([^\s]+)/);
  assert.ok(match?.[1], 'the email carries an accept link');
  return decodeURIComponent(match[1]);
}

async function world(reminderAfterSeconds: number) {
  const sendgrid = await SendGridStub.start();
  const taskQueue = `invitation-delivered-${randomUUID()}`;
  const config = {
    ...sendgrid.config(),
    TEMPORAL_TASK_QUEUE: taskQueue,
    INVITATION_REMINDER_AFTER: reminderAfterSeconds,
    INVITATION_TOKEN_EXPIRE: 7200,
  };
  const app = stack().createApp(config);
  const organization = await createOrganization('Faithful Invitations');
  const admin = await createMember(organization.id, 'admin');
  const email = `delivered-${randomUUID()}@example.test`;
  const invite = async () => {
    const response = await call(app, 'POST', `/v1/organizations/${organization.id}/invitations`, {
      token: admin.token,
      json: { email, role: 'member' },
    });
    assert.equal(response.status, 202, JSON.stringify(response.body));
    return response.body.id as string;
  };
  const accept = (token: string) =>
    call(app, 'POST', '/v1/invitations/accept', {
      json: { token, name: 'Dee Livered', password: 'a long enough password' },
    });
  const result = (id: string) =>
    stack()
      .temporal.workflow.getHandle(invitationWorkflowId(id))
      .result() as Promise<InvitationWorkflowResult>;
  return {
    sendgrid,
    app,
    organization,
    admin,
    invite,
    accept,
    result,
    worker: () => stack().createWorker(taskQueue, config),
  };
}

describe('invitations stay valid once an email was delivered (docs/spec.md §12)', function () {
  this.timeout(90_000);

  it('a rejected reminder leaves the invitation sent and its delivered link accepts', async () => {
    const w = await world(2);
    try {
      w.sendgrid.respondWith({ status: 202 }, REJECTED);
      const worker = await w.worker();
      await worker.runUntil(async () => {
        const id = await w.invite();
        await w.sendgrid.waitForRequests(2);
        await until('the rejected reminder recorded', async () =>
          (await emailMessagesAbout(id)).some((message) => message.status === 'failed'),
        );
        const row = await findInvitation(stack().sequelize, id);
        assert.equal(row?.status, 'sent');
        assert.equal(row?.failure_reason, null);
        const accepted = await w.accept(tokenFrom(w.sendgrid.requests[0]));
        assert.equal(accepted.status, 201, JSON.stringify(accepted.body));
        assert.deepEqual(await w.result(id), { outcome: 'accepted', emailsSent: 1 });
      });
    } finally {
      await w.sendgrid.close();
    }
  });

  it('a rejected resend answers 202, leaves the invitation sent, and the first link still accepts', async () => {
    const w = await world(3600);
    try {
      w.sendgrid.respondWith({ status: 202 }, REJECTED);
      const worker = await w.worker();
      await worker.runUntil(async () => {
        const id = await w.invite();
        await w.sendgrid.waitForRequests(1);
        await until(
          'the invitation sent',
          async () => (await findInvitation(stack().sequelize, id))?.status === 'sent',
        );
        const resent = await call(
          w.app,
          'POST',
          `/v1/organizations/${w.organization.id}/invitations/${id}/resend`,
          {
            token: w.admin.token,
          },
        );
        assert.equal(resent.status, 202);
        await w.sendgrid.waitForRequests(2);
        await until('the rejected resend recorded', async () =>
          (await emailMessagesAbout(id)).some((message) => message.status === 'failed'),
        );
        const shown = await call(w.app, 'GET', `/v1/organizations/${w.organization.id}/invitations/${id}`, {
          token: w.admin.token,
        });
        assert.equal(shown.body.status, 'sent');
        const accepted = await w.accept(tokenFrom(w.sendgrid.requests[0]));
        assert.equal(accepted.status, 201, JSON.stringify(accepted.body));
        assert.deepEqual(await w.result(id), { outcome: 'accepted', emailsSent: 1 });
      });
    } finally {
      await w.sendgrid.close();
    }
  });

  it('the first send rejected: failed, since no email was ever delivered', async () => {
    const w = await world(3600);
    try {
      w.sendgrid.respondWith(REJECTED);
      const worker = await w.worker();
      await worker.runUntil(async () => {
        const id = await w.invite();
        assert.deepEqual(await w.result(id), { outcome: 'failed', emailsSent: 0 });
        assert.equal((await findInvitation(stack().sequelize, id))?.status, 'failed');
      });
    } finally {
      await w.sendgrid.close();
    }
  });
});
