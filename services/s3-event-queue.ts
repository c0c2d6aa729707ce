import {
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { z } from 'zod';
import type { Logger } from '../lib/logger';
import { importRosterDrops } from './roster-drops';
import type { RosterImportDeps } from './roster-imports';

/**
 * S3 drops through SQS (docs/spec.md §12): the uploads bucket notifies `S3_EVENTS_QUEUE_URL` of
 * created objects, and this loop long-polls it and starts each import as the S3 webhook does
 * (services/roster-drops.ts). A message is deleted only once its imports are started (or found: the
 * import id comes from bucket + key + ETag, so a redelivery starts nothing new); when starting fails
 * (Postgres or Temporal away) it stays and SQS delivers it again after the visibility timeout. A
 * message that can never start an import — not an S3 event, another bucket, a key outside the roster
 * prefixes — is logged and deleted, so it is not retried forever.
 */

const S3EventMessage = z.object({
  Records: z
    .array(
      z.object({
        eventName: z.string(),
        s3: z.object({
          bucket: z.object({ name: z.string() }),
          object: z.object({
            key: z.string(),
            eTag: z.string().optional(),
            sequencer: z.string().optional(),
          }),
        }),
      }),
    )
    .min(1),
});

export type MessageOutcome =
  | { deleted: 'imported'; importIds: string[]; ignored: string[] }
  | { deleted: 'ignored'; reason: string }
  | { kept: unknown };

/** What one message becomes; throws (the message stays) only when an import could not be started. */
export async function handleS3EventMessage(
  deps: RosterImportDeps,
  body: string | undefined,
): Promise<Exclude<MessageOutcome, { kept: unknown }>> {
  let json: unknown;
  try {
    json = JSON.parse(body ?? '');
  } catch {
    return { deleted: 'ignored', reason: 'the message body is not JSON' };
  }
  // S3 sends one test event when a notification is configured.
  if ((json as { Event?: unknown } | null)?.Event === 's3:TestEvent') {
    return { deleted: 'ignored', reason: 'the S3 test event' };
  }
  const parsed = S3EventMessage.safeParse(json);
  if (!parsed.success) return { deleted: 'ignored', reason: 'the message is not an S3 event notification' };
  const records = [];
  for (const record of parsed.data.Records) {
    try {
      decodeURIComponent(record.s3.object.key.replace(/\+/g, ' '));
      records.push(record);
    } catch {
      // A key that does not decode was not sent by S3; the other records still count.
    }
  }
  const outcomes = await importRosterDrops(deps, records);
  const importIds: string[] = [];
  const ignored: string[] = [];
  for (const outcome of outcomes) {
    if ('import' in outcome) importIds.push(outcome.import.id);
    else ignored.push(outcome.ignored.reason);
  }
  if (importIds.length === 0) {
    return { deleted: 'ignored', reason: ignored.join('; ') || 'no record is an object creation' };
  }
  return { deleted: 'imported', importIds, ignored };
}

export interface S3EventQueueOptions {
  queueUrl: string;
  sqs: SQSClient;
  deps: RosterImportDeps;
  logger: Logger;
  /** Seconds a received message stays invisible to other consumers before SQS delivers it again. */
  visibilityTimeout?: number;
  /** Long-poll wait, seconds (SQS allows up to 20). */
  waitTimeSeconds?: number;
}

/** Starts the consumer loop; the returned function stops it (an in-flight long poll is aborted). */
export function startS3EventQueue(options: S3EventQueueOptions): () => Promise<void> {
  const { queueUrl, sqs, deps, logger } = options;
  const abort = new AbortController();
  const handle = async (message: Message) => {
    const log = logger.child({ sqsMessageId: message.MessageId });
    let outcome: MessageOutcome;
    try {
      outcome = await handleS3EventMessage(deps, message.Body);
    } catch (error) {
      outcome = { kept: error };
    }
    if ('kept' in outcome) {
      // As an error object, so the logger's redaction applies (a Postgres error can quote a value).
      log.warn({ err: outcome.kept }, 'S3 event: imports could not be started; SQS will deliver it again');
      return;
    }
    await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
    if (outcome.deleted === 'imported') {
      log.info({ importIds: outcome.importIds, ignored: outcome.ignored }, 'S3 event: imports started');
    } else log.warn({ reason: outcome.reason }, 'S3 event ignored and deleted');
  };
  const loop = (async () => {
    while (!abort.signal.aborted) {
      try {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: options.waitTimeSeconds ?? 20,
            VisibilityTimeout: options.visibilityTimeout ?? 60,
          }),
          { abortSignal: abort.signal },
        );
        for (const message of Messages) await handle(message);
      } catch (error) {
        if (abort.signal.aborted) break;
        logger.warn({ err: error }, 'S3 event queue: receive failed; retrying in 5 s');
        await new Promise((resolve) => setTimeout(resolve, 5000));
      }
    }
  })();
  return async () => {
    abort.abort();
    await loop;
  };
}
