import type { Sequelize } from 'sequelize';
import { type Db, execute, inTransaction, queryOne } from './sql';

/** Every statement on `email_messages`: one row per logical email, keyed by its idempotency key. */

export type EmailMessageStatus = 'queued' | 'sent' | 'failed';

export interface EmailMessageRow {
  id: string;
  to_address: string;
  template: string;
  subject: string;
  status: EmailMessageStatus;
  provider: 'log' | 'sendgrid';
  provider_message_id: string | null;
  error: string | null;
  related_entity_type: string | null;
  related_entity_id: string | null;
  idempotency_key: string | null;
  created_at: Date;
  updated_at: Date;
}

/** The row of `idempotency_key`, queued unless an earlier attempt already made it. */
export async function claimEmailMessage(
  db: Db,
  message: Pick<
    EmailMessageRow,
    'to_address' | 'template' | 'subject' | 'provider' | 'related_entity_type' | 'related_entity_id'
  > & { idempotency_key: string },
): Promise<void> {
  await execute(
    db,
    `INSERT INTO email_messages
       (to_address, template, subject, status, provider, related_entity_type, related_entity_id, idempotency_key)
     VALUES ($to, $template, $subject, 'queued', $provider, $relatedType, $relatedId, $key)
     ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING`,
    {
      to: message.to_address,
      template: message.template,
      subject: message.subject,
      provider: message.provider,
      relatedType: message.related_entity_type,
      relatedId: message.related_entity_id,
      key: message.idempotency_key,
    },
  );
}

export type LockedEmailMessage = Pick<EmailMessageRow, 'id' | 'status' | 'provider_message_id' | 'error'>;

/**
 * Runs `work` holding the row lock of `idempotencyKey` (claimed before), committed when it returns.
 * Concurrent attempts with one key wait for each other here. `work` records its outcome through
 * the `tx` it is given.
 */
export function withEmailMessageLocked<T>(
  sequelize: Sequelize,
  idempotencyKey: string,
  work: (row: LockedEmailMessage, tx: Db) => Promise<T>,
): Promise<T> {
  return inTransaction(sequelize, async (tx) => {
    const row = await queryOne<LockedEmailMessage>(
      tx,
      `SELECT id, status, provider_message_id, error FROM email_messages
        WHERE idempotency_key = $key FOR UPDATE`,
      { key: idempotencyKey },
    );
    if (!row) throw new Error(`email_messages row for ${idempotencyKey} vanished`);
    return work(row, tx);
  });
}

export async function markEmailMessageSent(
  db: Db,
  id: string,
  providerMessageId: string | null,
): Promise<void> {
  await execute(
    db,
    `UPDATE email_messages
        SET status = 'sent', provider_message_id = $providerMessageId, error = NULL, updated_at = now()
      WHERE id = $id`,
    { providerMessageId, id },
  );
}

/** The provider refused: `failed` for good, or back to `queued` for the next attempt. */
export async function recordEmailMessageError(
  db: Db,
  id: string,
  error: { permanent: boolean; reason: string },
): Promise<void> {
  await execute(
    db,
    `UPDATE email_messages SET status = $status, error = $reason, updated_at = now() WHERE id = $id`,
    {
      status: error.permanent ? 'failed' : 'queued',
      reason: error.reason,
      id,
    },
  );
}
