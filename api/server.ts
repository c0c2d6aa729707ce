import { serve } from '@hono/node-server';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { ensureBootstrapAdmin } from '../db/bootstrap-admin';
import { createSequelize } from '../db/sequelize';
import { createSqsClient } from '../lib/aws';
import { loadConfigOrExit } from '../lib/config';
import { rollbarStream } from '../lib/error-reporting';
import { createLogger } from '../lib/logger';
import { onShutdownSignal } from '../lib/shutdown';
import { createTemporalClient, ensureSearchAttributes } from '../lib/temporal';
import { LiveEventHub } from '../services/live-events';
import { startS3EventQueue } from '../services/s3-event-queue';
import { startWorkflowOutboxRelay } from '../services/workflow-outbox';
import { createApp } from './app';
import { serveApi } from './http-server';
import { metricsApp } from './middleware/metrics';

const config = loadConfigOrExit();
const errorReports = rollbarStream(config, 'api');
const logger = createLogger({ level: config.LOG_LEVEL, name: 'api', reportTo: errorReports });
const sequelize = createSequelize(config.DATABASE_URL, {
  statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS,
});
const temporal = createTemporalClient(config);

try {
  const admin = await ensureBootstrapAdmin(
    sequelize,
    config.BOOTSTRAP_ADMIN_EMAIL,
    config.BOOTSTRAP_ADMIN_PASSWORD,
  );
  if (admin === 'created')
    logger.info({ email: config.BOOTSTRAP_ADMIN_EMAIL }, 'bootstrap platform admin created');
} catch (error) {
  logger.warn(
    { err: error },
    'could not ensure the bootstrap admin (is the database migrated? run npm run migrate)',
  );
}

// The API starts workflows with search attributes (docs/spec.md §12): registered if missing. Temporal
// may still be down (the API starts anyway and /ready says so); the worker registers them too.
ensureSearchAttributes(temporal, config.TEMPORAL_NAMESPACE).then(
  (added) => added.length && logger.info({ added }, 'search attributes registered'),
  (error) => logger.warn({ err: error }, 'could not register the search attributes (the worker does it too)'),
);

const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry, prefix: 'ale_api_' });
const liveEvents = new LiveEventHub({ databaseUrl: config.DATABASE_URL, sequelize, logger });
const app = createApp({ config, sequelize, temporal, logger, metricsRegistry, liveEvents });
// Starts and signals that a Temporal outage (or a crash after a commit) left in the outbox.
const outboxRelay = startWorkflowOutboxRelay({ config, sequelize, temporal, logger });
const server = serveApi({ fetch: app.fetch, port: config.PORT, hostname: config.HOST }, (info) =>
  logger.info(
    { host: config.HOST, port: info.port },
    `API listening on http://${config.HOST}:${info.port} (docs at /docs)`,
  ),
);
// Prometheus scrapes its own port, kept off the public one (or /metrics there with METRICS_TOKEN).
const metricsServer = serve(
  { fetch: metricsApp(metricsRegistry).fetch, port: config.METRICS_PORT, hostname: config.HOST },
  (info) => logger.info({ port: info.port }, `metrics on http://${config.HOST}:${info.port}/metrics`),
);

// Roster drops announced through SQS (docs/spec.md §12); the webhook stays for S3 setups without a queue.
const stopS3EventQueue = config.S3_EVENTS_QUEUE_URL
  ? startS3EventQueue({
      queueUrl: config.S3_EVENTS_QUEUE_URL,
      sqs: createSqsClient(config),
      deps: { config, sequelize, temporal },
      logger: logger.child({ component: 's3-event-queue' }),
    })
  : async () => {};
if (config.S3_EVENTS_QUEUE_URL) logger.info('long-polling S3_EVENTS_QUEUE_URL for roster drops');

onShutdownSignal(logger, 10_000, async () => {
  // Stop accepting, let in-flight requests finish, then release the pools. Event streams never
  // finish on their own: they are ended (their clients resume on another replica).
  await stopS3EventQueue();
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  await liveEvents.closeAll();
  await closed;
  metricsServer.close();
  await outboxRelay.stop();
  await temporal.connection.close();
  await sequelize.close();
  await errorReports?.flush();
});
