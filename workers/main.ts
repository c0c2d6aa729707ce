import { DefaultLogger, makeTelemetryFilterString, Runtime } from '@temporalio/worker';
import { createSequelize } from '../db/sequelize';
import { createRoute53Client, createS3Client } from '../lib/aws';
import { loadConfigOrExit } from '../lib/config';
import { rollbarStream } from '../lib/error-reporting';
import { createLogger } from '../lib/logger';
import { connectWorkerConnection, createTemporalClient, ensureSearchAttributes } from '../lib/temporal';
import { activityOutcomeMetrics } from './activity-metrics';
import { createWorker } from './create-worker';
import {
  ensureExclusionSourceSchedules,
  ensureExclusionSourceWatchSchedule,
  ensureOigSchedule,
} from './exclusion-source-schedules';
import { ensureMonthlyScreeningSchedule } from './screening-schedule';
import { bundleWorkflows } from './workflow-bundle';

const config = loadConfigOrExit();
const errorReports = rollbarStream(config, 'worker');
const logger = createLogger({ level: config.LOG_LEVEL, name: 'worker', reportTo: errorReports });
const sdkLevel = {
  fatal: 'ERROR',
  error: 'ERROR',
  warn: 'WARN',
  info: 'INFO',
  debug: 'DEBUG',
  trace: 'TRACE',
} as const;
const level = config.LOG_LEVEL === 'silent' ? 'ERROR' : sdkLevel[config.LOG_LEVEL];
Runtime.install({
  // The SDK's own log lines (with workflowId / activityId in their metadata) go through pino.
  logger: new DefaultLogger(level, ({ level: entryLevel, message, meta }) => {
    const method =
      entryLevel === 'TRACE' ? 'trace' : (entryLevel.toLowerCase() as 'debug' | 'info' | 'warn' | 'error');
    logger[method]({ sdk: meta }, message);
  }),
  telemetryOptions: {
    logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} },
    metrics: { prometheus: { bindAddress: config.WORKER_METRICS_ADDRESS } },
  },
  // The SDK drains the worker on these signals within shutdownGraceTime.
  shutdownSignals: ['SIGINT', 'SIGTERM'],
});

const sequelize = createSequelize(config.DATABASE_URL);
const connection = await connectWorkerConnection(config);
const temporal = createTemporalClient(config);
const s3 = createS3Client(config);
const route53 = createRoute53Client(config);

const worker = await createWorker({
  connection,
  workflowBundle: await bundleWorkflows(),
  taskQueue: config.TEMPORAL_TASK_QUEUE,
  deps: { config, sequelize, s3, route53, temporal, logger },
  activityInterceptors: [activityOutcomeMetrics(Runtime.instance().metricMeter)],
});
// Before the Schedules, whose actions carry them (docs/spec.md §12); idempotent.
const addedSearchAttributes = await ensureSearchAttributes(temporal, config.TEMPORAL_NAMESPACE);
if (addedSearchAttributes.length) logger.info({ addedSearchAttributes }, 'search attributes registered');
// Extra workers (and fault tests) can skip this; one worker per deployment owning schedules is enough.
const schedules = config.WORKER_ENSURE_SCHEDULES
  ? {
      oigDailySync: await ensureOigSchedule(temporal, config),
      exclusionSources: await ensureExclusionSourceSchedules(temporal, config),
      exclusionSourceWatch: await ensureExclusionSourceWatchSchedule(temporal, config),
      monthlyScreening: await ensureMonthlyScreeningSchedule(temporal, config),
    }
  : 'skipped (WORKER_ENSURE_SCHEDULES=false)';
logger.info(
  {
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    namespace: config.TEMPORAL_NAMESPACE,
    schedules,
    metrics: `http://${config.WORKER_METRICS_ADDRESS}/metrics`,
  },
  'worker started',
);
try {
  await worker.run();
  logger.info('worker stopped: in-flight work drained');
} finally {
  await connection.close();
  await temporal.connection.close();
  await sequelize.close();
  await errorReports?.flush();
  s3.destroy();
  route53.destroy();
}
