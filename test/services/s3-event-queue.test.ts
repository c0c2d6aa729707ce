import assert from 'node:assert/strict';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  PurgeQueueCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { findRosterImport } from '../../db/roster-import-store';
import { createSequelize } from '../../db/sequelize';
import { s3EventImportId } from '../../domain/roster-object-keys';
import { createSqsClient } from '../../lib/aws';
import { S3_EVENTS_QUEUE_NAME } from '../../scripts/stack/aws-resources';
import { startS3EventQueue } from '../../services/s3-event-queue';
import { createOrganization } from '../support/fixtures';
import { capturedLogLines, stack, testLogger } from '../support/stack';

describe('S3 drops through SQS (S3_EVENTS_QUEUE_URL, moto)', () => {
  let sqs: SQSClient;
  let queueUrl: string;
  let stop: (() => Promise<void>) | undefined;

  before(async () => {
    sqs = createSqsClient(stack().config);
    // The test stack ran scripts/stack/aws-resources.ts: the uploads bucket notifies this queue.
    queueUrl = (await sqs.send(new GetQueueUrlCommand({ QueueName: S3_EVENTS_QUEUE_NAME })))
      .QueueUrl as string;
    await sqs.send(new PurgeQueueCommand({ QueueUrl: queueUrl }));
    const { config, sequelize, temporal } = stack();
    stop = startS3EventQueue({
      queueUrl,
      sqs,
      deps: { config, sequelize, temporal },
      logger: testLogger,
      waitTimeSeconds: 1,
      visibilityTimeout: 5,
    });
  });
  after(async () => {
    await stop?.();
    sqs.destroy();
  });

  async function queueEmpties(timeoutMs = 15_000, url = queueUrl) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { Attributes = {} } = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: url,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      const left =
        Number(Attributes.ApproximateNumberOfMessages) +
        Number(Attributes.ApproximateNumberOfMessagesNotVisible);
      if (left === 0) return;
      if (Date.now() > deadline) throw new Error(`${left} message(s) still in the queue`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  it('imports a file put into the bucket with no webhook call, and deletes the message once the workflow started', async () => {
    const organization = await createOrganization();
    const { config, s3, sequelize, temporal } = stack();
    const key = `employees-list/${organization.id}/roster.csv`;
    const put = await s3.send(
      new PutObjectCommand({
        Bucket: config.AWS_S3_BUCKET_NAME,
        Key: key,
        Body: 'external_id,first_name,last_name\nE1,Ada,Lovelace\n',
        ContentType: 'text/csv',
      }),
    );
    const importId = s3EventImportId(config.AWS_S3_BUCKET_NAME, key, (put.ETag ?? '').replaceAll('"', ''));
    const deadline = Date.now() + 15_000;
    let row = await findRosterImport(sequelize, importId);
    while (!row && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      row = await findRosterImport(sequelize, importId);
    }
    assert.ok(row, 'the import was recorded');
    assert.equal(row.organization_id, organization.id);
    assert.equal(row.mode, 'replace');
    // The row is recorded before the workflow starts; the message goes only once it has started.
    await queueEmpties();
    const description = await temporal.workflow.getHandle(row.workflow_id as string).describe();
    assert.equal(description.status.name, 'RUNNING');
    await temporal.workflow.getHandle(row.workflow_id as string).terminate('test done');
  });

  it('deletes and logs a message that is not an S3 event, names another bucket, or a key outside the roster prefixes', async () => {
    const { config } = stack();
    const record = (bucket: string, key: string) =>
      JSON.stringify({
        Records: [
          { eventName: 'ObjectCreated:Put', s3: { bucket: { name: bucket }, object: { key, eTag: 'abc' } } },
        ],
      });
    const logged = capturedLogLines.length;
    const bodies = [
      'not json at all',
      JSON.stringify({ hello: 'world' }),
      record('someone-elses-bucket', 'employees-list/0d5f8a1e-2b7c-4c1d-9e3f-1a2b3c4d5e6f/r.csv'),
      record(config.AWS_S3_BUCKET_NAME, 'elsewhere/r.csv'),
      record(config.AWS_S3_BUCKET_NAME, 'employees-list/%E0%A4%A/r.csv'),
    ];
    for (const MessageBody of bodies)
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody }));
    await queueEmpties();
    const ignored = capturedLogLines
      .slice(logged)
      .filter((line) => line.includes('S3 event ignored and deleted'));
    assert.equal(ignored.length, bodies.length, ignored.join('\n'));
    assert.ok(ignored.some((line) => line.includes('is not JSON')));
    assert.ok(ignored.some((line) => line.includes('not an S3 event notification')));
    assert.ok(ignored.some((line) => line.includes('is not the uploads bucket')));
    assert.ok(ignored.some((line) => line.includes('not under <kind>-list/<organizationId>/')));
  });

  it('keeps a message whose import could not be started, and starts it when SQS delivers it again', async () => {
    const { config, sequelize, temporal } = stack();
    const organization = await createOrganization();
    const { QueueUrl: ownQueue } = await sqs.send(
      new CreateQueueCommand({ QueueName: `s3-events-${Date.now()}` }),
    );
    const key = `employees-list/${organization.id}/later.csv`;
    const eTag = `etag-${Date.now()}`;
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: ownQueue,
        MessageBody: JSON.stringify({
          Records: [
            {
              eventName: 'ObjectCreated:Put',
              s3: { bucket: { name: config.AWS_S3_BUCKET_NAME }, object: { key, eTag } },
            },
          ],
        }),
      }),
    );
    const logged = capturedLogLines.length;
    // Postgres unreachable for this consumer: the import cannot be recorded, so the message stays.
    const unreachable = createSequelize('postgres://nobody:secret@127.0.0.1:9/none');
    const failing = startS3EventQueue({
      queueUrl: ownQueue as string,
      sqs,
      deps: { config, sequelize: unreachable, temporal },
      logger: testLogger,
      waitTimeSeconds: 1,
      visibilityTimeout: 1,
    });
    const deadline = Date.now() + 15_000;
    while (!capturedLogLines.slice(logged).some((line) => line.includes('could not be started'))) {
      if (Date.now() > deadline) throw new Error('the failing consumer never tried the message');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await failing();
    await unreachable.close();
    await assert.rejects(queueEmpties(1500, ownQueue), /1 message\(s\) still in the queue/);

    const working = startS3EventQueue({
      queueUrl: ownQueue as string,
      sqs,
      deps: { config, sequelize, temporal },
      logger: testLogger,
      waitTimeSeconds: 1,
      visibilityTimeout: 5,
    });
    try {
      await queueEmpties(15_000, ownQueue);
      const row = await findRosterImport(sequelize, s3EventImportId(config.AWS_S3_BUCKET_NAME, key, eTag));
      assert.ok(row, 'the redelivered message started the import');
      await temporal.workflow.getHandle(row.workflow_id as string).terminate('test done');
    } finally {
      await working();
      await sqs.send(new DeleteQueueCommand({ QueueUrl: ownQueue }));
    }
  });
});
