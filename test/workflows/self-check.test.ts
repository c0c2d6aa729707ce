import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import { selfCheckWorkflowId } from '../../lib/workflow-contracts';
import { workerSelfCheck } from '../../workflows/self-check';
import { stack } from '../support/stack';

describe('workerSelfCheck workflow (real dev server, real worker)', () => {
  it('is completed by a worker that reaches Postgres and S3', async () => {
    const taskQueue = `self-check-${randomUUID()}`;
    const worker = await stack().createWorker(taskQueue);
    const result = await worker.runUntil(
      stack().temporal.workflow.execute(workerSelfCheck, {
        taskQueue,
        workflowId: selfCheckWorkflowId(randomUUID()),
      }),
    );
    assert.ok(result.migrations >= 1);
    assert.deepEqual(result.buckets, [
      stack().config.AWS_S3_BUCKET_NAME,
      stack().config.AWS_S3_LOGOS_BUCKET_NAME,
    ]);
  });

  it('fails with a non-retryable BucketUnavailable when a bucket is missing', async () => {
    const taskQueue = `self-check-${randomUUID()}`;
    const worker = await stack().createWorker(taskQueue, { AWS_S3_LOGOS_BUCKET_NAME: 'no-such-bucket' });
    const run = stack().temporal.workflow.execute(workerSelfCheck, {
      taskQueue,
      workflowId: selfCheckWorkflowId(randomUUID()),
    });
    const error = await worker.runUntil(
      run.then(
        () => undefined,
        (e: unknown) => e,
      ),
    );
    assert.ok(error instanceof WorkflowFailedError);
    assert.ok(error.cause instanceof ActivityFailure);
    assert.ok(error.cause.cause instanceof ApplicationFailure);
    assert.equal(error.cause.cause.type, 'BucketUnavailable');
    assert.equal(error.cause.cause.nonRetryable, true);
  });
});
