import {
  type ActivityInterceptorsFactory,
  type NativeConnection,
  Worker,
  type WorkflowBundle,
} from '@temporalio/worker';
import type { ActivityDeps } from '../activities/deps';
import { createActivities } from '../activities/index';
import { createDataConverter } from '../lib/temporal';
import { activeTracing } from '../lib/tracing-state';

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
  const tracing = activeTracing();
  return Worker.create({
    connection,
    namespace: deps.config.TEMPORAL_NAMESPACE,
    taskQueue,
    workflowBundle,
    activities: createActivities(deps),
    dataConverter: createDataConverter(deps.config),
    interceptors: {
      activity: [...(tracing ? [tracing.activityInterceptor] : []), ...(options.activityInterceptors ?? [])],
    },
    // The workflow sandbox's spans (its bundle has the tracing interceptors when tracing is on).
    sinks: tracing?.workflowSinks,
    // In-flight activities get this long to finish (and heartbeat) before they are cancelled.
    shutdownGraceTime: `${options.shutdownGraceSeconds ?? deps.config.WORKER_SHUTDOWN_GRACE_TIME}s`,
  });
}
