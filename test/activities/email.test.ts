import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { createEmailActivities } from '../../activities/email';
import type { EmailMessageRow } from '../../db/email-message-store';
import { query } from '../../db/sql';
import { SendGridStub } from '../support/sendgrid-stub';
import { stack } from '../support/stack';

const invitationData = {
  organizationName: 'Acme <Home> Care',
  role: 'member',
  acceptUrl: 'https://acme.ale.test/accept-invitation?token=abc',
  expiresAt: '2026-11-30',
  logoUrl: 'https://cdn.ale.test/logos/acme.png',
};

/** The email_messages row whose `column` (id or idempotency_key) is `value`. */
async function messageWhere(column: 'id' | 'idempotency_key', value: string): Promise<EmailMessageRow> {
  const [row] = await query<EmailMessageRow>(
    stack().sequelize,
    `SELECT * FROM email_messages WHERE ${column} = $value`,
    { value },
  );
  assert.ok(row, `an email_messages row with ${column} ${value}`);
  return row;
}

describe('sendEmail activity (SendGrid client against a local stub)', () => {
  let sendgrid: SendGridStub;
  beforeEach(async () => {
    sendgrid = await SendGridStub.start();
  });
  afterEach(() => sendgrid.close());

  const activities = () => createEmailActivities(stack().activityDeps(sendgrid.config()));

  it('sends through the configured base URL, records the row with SendGrid x-message-id', async () => {
    const to = `to-${randomUUID()}@example.test`;
    const related = { type: 'invitation', id: randomUUID() };
    const result = await activities().sendEmail({
      template: 'invitation',
      to,
      data: invitationData,
      related,
      idempotencyKey: `test/${randomUUID()}`,
    });
    assert.equal(result.status, 'sent');
    assert.equal(sendgrid.requests.length, 1);
    const [request] = sendgrid.requests;
    assert.ok(request);
    assert.deepEqual(request.to, [to]);
    assert.equal(request.authorization, 'Bearer SG.test');
    assert.equal(request.from, stack().config.EMAIL_FROM);
    assert.equal(result.providerMessageId, request.messageId);
    assert.ok(request.text?.includes('Acme <Home> Care'));
    assert.ok(request.html?.includes('Acme &lt;Home&gt; Care'));
    assert.ok(!request.html?.includes('<Home>'));
    assert.ok(request.html?.includes('src="https://cdn.ale.test/logos/acme.png"'));
    const row = await messageWhere('id', result.emailMessageId);
    assert.equal(row.to_address, to);
    assert.equal(row.status, 'sent');
    assert.equal(row.provider, 'sendgrid');
    assert.equal(row.provider_message_id, request.messageId);
    assert.equal(row.related_entity_type, 'invitation');
    assert.equal(row.related_entity_id, related.id);
  });

  it('never sends twice for one idempotency key', async () => {
    const input = {
      template: 'invitation' as const,
      to: `to-${randomUUID()}@example.test`,
      data: invitationData,
      idempotencyKey: `test/${randomUUID()}`,
    };
    const first = await activities().sendEmail(input);
    const [second, third] = await Promise.all([activities().sendEmail(input), activities().sendEmail(input)]);
    assert.equal(sendgrid.requests.length, 1);
    assert.deepEqual(second, first);
    assert.deepEqual(third, first);
    const rows = await query(
      stack().sequelize,
      'SELECT id FROM email_messages WHERE idempotency_key = $key',
      {
        key: input.idempotencyKey,
      },
    );
    assert.equal(rows.length, 1);
  });

  it('throws a retryable failure on 500 and 429, keeping the row queued, then sends on retry', async () => {
    sendgrid.respondWith({ status: 500 }, { status: 429 });
    const input = {
      template: 'invitation' as const,
      to: `to-${randomUUID()}@example.test`,
      data: invitationData,
      idempotencyKey: `test/${randomUUID()}`,
    };
    for (let attempt = 0; attempt < 2; attempt++) {
      const error = await activities()
        .sendEmail(input)
        .then(
          () => assert.fail('expected a failure'),
          (e: unknown) => e,
        );
      assert.ok(error instanceof ApplicationFailure);
      assert.equal(error.nonRetryable, false);
      const row = await messageWhere('idempotency_key', input.idempotencyKey);
      assert.equal(row?.status, 'queued');
    }
    const result = await activities().sendEmail(input);
    assert.equal(result.status, 'sent');
    assert.equal(sendgrid.requests.length, 3);
  });

  it('throws a non-retryable EmailRejected on 400 and records the reason; a re-run does not resend', async () => {
    sendgrid.respondWith({
      status: 400,
      body: { errors: [{ message: 'Does not contain a valid address.' }] },
    });
    const input = {
      template: 'invitation' as const,
      to: `to-${randomUUID()}@example.test`,
      data: invitationData,
      idempotencyKey: `test/${randomUUID()}`,
    };
    for (let run = 0; run < 2; run++) {
      const error = await activities()
        .sendEmail(input)
        .then(
          () => assert.fail('expected a failure'),
          (e: unknown) => e,
        );
      assert.ok(error instanceof ApplicationFailure);
      assert.equal(error.type, 'EmailRejected');
      assert.equal(error.nonRetryable, true);
    }
    assert.equal(sendgrid.requests.length, 1);
    const row = await messageWhere('idempotency_key', input.idempotencyKey);
    assert.equal(row?.status, 'failed');
    assert.match(row?.error ?? '', /400/);
  });

  it('fails without retry when template data is missing', async () => {
    const error = await activities()
      .sendEmail({
        template: 'invitation',
        to: 'x@example.test',
        data: { organizationName: 'Acme' },
        idempotencyKey: `test/${randomUUID()}`,
      })
      .then(
        () => assert.fail('expected a failure'),
        (e: unknown) => e,
      );
    assert.ok(error instanceof ApplicationFailure);
    assert.equal(error.type, 'InvalidEmailTemplateData');
    assert.equal(error.nonRetryable, true);
    assert.equal(sendgrid.requests.length, 0);
  });

  it('EMAIL_PROVIDER=log records the message as sent without calling SendGrid', async () => {
    const log = createEmailActivities(
      stack().activityDeps({ EMAIL_PROVIDER: 'log', SENDGRID_API_BASE_URL: sendgrid.url }),
    );
    const result = await log.sendEmail({
      template: 'invitation-reminder',
      to: `to-${randomUUID()}@example.test`,
      data: invitationData,
      idempotencyKey: `test/${randomUUID()}`,
    });
    assert.equal(result.status, 'sent');
    assert.equal(result.providerMessageId, null);
    assert.equal(sendgrid.requests.length, 0);
    const row = await messageWhere('id', result.emailMessageId);
    assert.equal(row.provider, 'log');
    assert.equal(row.status, 'sent');
    assert.match(row.subject, /Reminder/);
  });
});
