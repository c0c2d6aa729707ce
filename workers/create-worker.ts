import {
  type ActivityInterceptorsFactory,
  type NativeConnection,
  Worker,
  type WorkflowBundle,
} from '@temporalio/worker';
import type { ActivityDeps } from '../activities/deps';
import { createActivities } from '../activities/index';
import { createDataConverter } from '../lib/temporal';
import { patientRetries } from './patient-retries';

/** One worker on `taskQueue` with every workflow (from `bundleWorkflows()`) and activity. */
export function createWorker(options: {
  connection: NativeConnection;
  deps: ActivityDeps;
  taskQueue: string;
  workflowBundle: WorkflowBundle;
  shutdownGraceSeconds?: number;
  activityInterceptors?: ActivityInterceptorsFactory[];
}): Promise<Worker> {
  const { connection, deps, taskQueue, workflowBundle } = options;
  return Worker.create({
    connection,
    namespace: deps.config.TEMPORAL_NAMESPACE,
    taskQueue,
    workflowBundle,
    activities: createActivities(deps),
    dataConverter: createDataConverter(deps.config),
    interceptors: { activity: [patientRetries(), ...(options.activityInterceptors ?? [])] },
    // In-flight activities get this long to finish (and heartbeat) before they are cancelled.
    shutdownGraceTime: `${options.shutdownGraceSeconds ?? deps.config.WORKER_SHUTDOWN_GRACE_TIME}s`,
  });
}
