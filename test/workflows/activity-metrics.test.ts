import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { MetricMeter, MetricTags } from '@temporalio/common';
import { selfCheckWorkflowId } from '../../lib/workflow-contracts';
import { activityOutcomeMetrics } from '../../workers/activity-metrics';
import { workerSelfCheck } from '../../workflows/self-check';
import { stack } from '../support/stack';

/** Records what the interceptor reports; the worker, the server and the activities are real. */
function recordingMeter() {
  const added: MetricTags[] = [];
  const counter = {
    name: 'ale_activity_outcomes',
    kind: 'counter',
    valueType: 'int',
    add: (_: number, tags?: MetricTags) => added.push(tags ?? {}),
    withTags: () => counter,
  };
  return { added, meter: { createCounter: () => counter } as unknown as MetricMeter };
}

describe('activity outcome metrics', () => {
  it('counts completed attempts and permanent failures by activity type', async () => {
    const { added, meter } = recordingMeter();
    const taskQueue = `metrics-${randomUUID()}`;
    const worker = await stack().createWorker(
      taskQueue,
      { AWS_S3_LOGOS_BUCKET_NAME: 'missing-bucket' },
      { activityInterceptors: [activityOutcomeMetrics(meter)] },
    );
    await worker.runUntil(
      stack()
        .temporal.workflow.execute(workerSelfCheck, {
          taskQueue,
          workflowId: selfCheckWorkflowId(randomUUID()),
        })
        .catch(() => undefined),
    );
    assert.deepEqual(added, [
      { activity_type: 'checkDatabase', outcome: 'completed' },
      { activity_type: 'checkObjectStorage', outcome: 'failed_permanent' },
    ]);
  });
});
