import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Client, WorkflowFailedError } from '@temporalio/client';
import { selfCheckWorkflowId } from '../../lib/workflow-contracts';
import { workerSelfCheck } from '../../workflows/self-check';
import { stack } from '../support/stack';

/** Every payload object found anywhere in a raw (undecoded) history event tree. */
function payloadsIn(node: unknown, found: { metadata?: Record<string, Uint8Array> }[] = []) {
  if (node && typeof node === 'object') {
    if ('metadata' in node && 'data' in node) found.push(node as never);
    for (const value of Object.values(node)) payloadsIn(value, found);
  }
  return found;
}

describe('payload encryption at rest (docs/spec.md §7)', () => {
  it('stores every payload of a finished workflow encrypted; a codec-less client reads no values', async () => {
    const taskQueue = `codec-${randomUUID()}`;
    const workflowId = selfCheckWorkflowId(randomUUID());
    const worker = await stack().createWorker(taskQueue);
    const result = await worker.runUntil(
      stack().temporal.workflow.execute(workerSelfCheck, { taskQueue, workflowId }),
    );
    assert.deepEqual(result.buckets, [
      stack().config.AWS_S3_BUCKET_NAME,
      stack().config.AWS_S3_LOGOS_BUCKET_NAME,
    ]);

    const raw = new Client({
      connection: stack().temporal.connection,
      namespace: stack().config.TEMPORAL_NAMESPACE,
    });
    const history = await raw.workflow.getHandle(workflowId).fetchHistory();
    const payloads = payloadsIn(history.events);
    assert.ok(payloads.length >= 3, 'the history has activity and workflow results');
    for (const payload of payloads) {
      assert.equal(Buffer.from(payload.metadata?.encoding ?? []).toString(), 'binary/encrypted');
    }
    const serialized = Buffer.from(JSON.stringify(history));
    assert.ok(!serialized.includes(stack().config.AWS_S3_LOGOS_BUCKET_NAME));
  });

  it('encrypts failure messages too: the reason is readable only through the codec', async () => {
    const taskQueue = `codec-${randomUUID()}`;
    const workflowId = selfCheckWorkflowId(randomUUID());
    const secretBucket = `missing-${randomUUID()}`;
    const worker = await stack().createWorker(taskQueue, { AWS_S3_LOGOS_BUCKET_NAME: secretBucket });
    const failure = await worker.runUntil(
      stack()
        .temporal.workflow.execute(workerSelfCheck, { taskQueue, workflowId })
        .then(
          () => undefined,
          (error: unknown) => error,
        ),
    );
    assert.ok(failure instanceof WorkflowFailedError);
    assert.match(String((failure.cause?.cause as Error | undefined)?.message), new RegExp(secretBucket));

    const raw = new Client({
      connection: stack().temporal.connection,
      namespace: stack().config.TEMPORAL_NAMESPACE,
    });
    const history = await raw.workflow.getHandle(workflowId).fetchHistory();
    assert.ok(!Buffer.from(JSON.stringify(history)).includes(secretBucket));
  });
});
