import { Client as SendGridClient } from '@sendgrid/client';
import { MailService } from '@sendgrid/mail';
import { ApplicationFailure } from '@temporalio/activity';
import {
  claimEmailMessage,
  markEmailMessageSent,
  recordEmailMessageError,
  withEmailMessageLocked,
} from '../db/email-message-store';
import {
  type EmailData,
  EmailTemplateError,
  type EmailTemplateName,
  renderEmail,
} from '../domain/email-templates';
import type { Config } from '../lib/config';
import type { Logger } from '../lib/logger';
import type { ActivityDeps } from './deps';

export interface SendEmailInput {
  template: EmailTemplateName;
  to: string;
  data: EmailData;
  /** What the email is about, e.g. `{ type: 'invitation', id }`; stored on the email_messages row. */
  related?: { type: string; id: string };
  /** One key per logical email: a retried or re-run activity with the same key never sends twice. */
  idempotencyKey: string;
}

export interface SendEmailResult {
  emailMessageId: string;
  status: 'sent' | 'failed';
  providerMessageId: string | null;
}

/** The one outside call: hands a rendered message to the provider and returns its message id. */
type Transport = (message: {
  to: string;
  from: string;
  subject: string;
  text: string;
  html: string;
}) => Promise<string | null>;

type Outcome = { sent: SendEmailResult } | { error: { permanent: boolean; reason: string } };

const SENDGRID_TIMEOUT_MS = 15_000;

/** A fresh SendGrid client per factory (no module singleton), pointed at SENDGRID_API_BASE_URL. */
function sendGridTransport(config: Config): Transport {
  const client = new SendGridClient();
  client.setApiKey(config.SENDGRID_API_KEY ?? '');
  // setApiKey resets the base URL to the region's host, so the override must come after it.
  client.setDefaultRequest('baseUrl', `${config.SENDGRID_API_BASE_URL.replace(/\/$/, '')}/`);
  const mail = new MailService();
  mail.setClient(client);
  mail.setTimeout(SENDGRID_TIMEOUT_MS);
  return async (message) => {
    const [response] = await mail.send(message);
    const id = response.headers['x-message-id'];
    return typeof id === 'string' ? id : null;
  };
}

function logTransport(logger: Logger): Transport {
  // Records that the email would have gone out; never logs the body (it may carry names or links).
  return async (message) => {
    logger.info({ to: message.to, subject: message.subject }, 'email (EMAIL_PROVIDER=log, not sent)');
    return null;
  };
}

/** SendGrid's answer, if the error came from an HTTP response. */
function httpStatusOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

function describeProviderError(error: unknown): string {
  const status = httpStatusOf(error);
  const body = (error as { response?: { body?: { errors?: { message?: string }[] } } }).response?.body;
  const reasons = body?.errors?.map((e) => e.message).filter(Boolean) ?? [];
  const head = status
    ? `SendGrid answered ${status}`
    : `SendGrid request failed (${(error as Error).message})`;
  return reasons.length > 0 ? `${head}: ${reasons.join('; ')}` : head;
}

/** The generic email activity; other workflows (invitations, exclusion alerts) reuse it. */
export function createEmailActivities({ config, sequelize, logger }: ActivityDeps) {
  const provider = config.EMAIL_PROVIDER;
  const transport = provider === 'sendgrid' ? sendGridTransport(config) : logTransport(logger);

  async function sendEmail(input: SendEmailInput): Promise<SendEmailResult> {
    let rendered: ReturnType<typeof renderEmail>;
    try {
      rendered = renderEmail(input.template, input.data);
    } catch (error) {
      if (error instanceof EmailTemplateError) {
        throw ApplicationFailure.nonRetryable(error.message, 'InvalidEmailTemplateData');
      }
      throw error;
    }
    await claimEmailMessage(sequelize, {
      to_address: input.to,
      template: input.template,
      subject: rendered.subject,
      provider,
      related_entity_type: input.related?.type ?? null,
      related_entity_id: input.related?.id ?? null,
      idempotency_key: input.idempotencyKey,
    });

    // The row lock makes concurrent attempts with one key (a retry racing a slow first attempt)
    // wait for each other, so the provider is called at most once per key. Failures are thrown
    // only after the transaction commits, so the row keeps the provider's reason.
    const outcome = await withEmailMessageLocked(
      sequelize,
      input.idempotencyKey,
      async (row, tx): Promise<Outcome> => {
        if (row.status === 'sent') {
          return {
            sent: { emailMessageId: row.id, status: 'sent', providerMessageId: row.provider_message_id },
          };
        }
        if (row.status === 'failed') {
          return { error: { permanent: true, reason: row.error ?? 'The provider rejected this email.' } };
        }
        try {
          const providerMessageId = await transport({
            to: input.to,
            from: config.EMAIL_FROM,
            subject: rendered.subject,
            text: rendered.text,
            html: rendered.html,
          });
          await markEmailMessageSent(tx, row.id, providerMessageId);
          return { sent: { emailMessageId: row.id, status: 'sent', providerMessageId } };
        } catch (error) {
          const status = httpStatusOf(error);
          const reason = describeProviderError(error);
          const permanent = status !== undefined && status >= 400 && status < 500 && status !== 429;
          await recordEmailMessageError(tx, row.id, { permanent, reason });
          logger.warn(
            { emailMessageId: row.id, template: input.template, status, permanent },
            'email provider error',
          );
          return { error: { permanent, reason } };
        }
      },
    );
    if ('sent' in outcome) return outcome.sent;
    if (outcome.error.permanent) throw ApplicationFailure.nonRetryable(outcome.error.reason, 'EmailRejected');
    // 429, 5xx and network errors: the activity's retry policy backs off and tries again.
    throw ApplicationFailure.retryable(outcome.error.reason, 'EmailProviderUnavailable');
  }

  return { sendEmail };
}
