import { serve } from '@hono/node-server';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { ensureBootstrapAdmin } from '../db/bootstrap-admin';
import { createSequelize } from '../db/sequelize';
import { loadConfigOrExit } from '../lib/config';
import { createLogger } from '../lib/logger';
import { onShutdownSignal } from '../lib/shutdown';
import { createTemporalClient } from '../lib/temporal';
import { startWorkflowOutboxRelay } from '../services/workflow-outbox';
import { createApp } from './app';
import { metricsApp } from './middleware/metrics';

const config = loadConfigOrExit();
const logger = createLogger({ level: config.LOG_LEVEL, name: 'api' });
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

const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry, prefix: 'ale_api_' });
const app = createApp({ config, sequelize, temporal, logger, metricsRegistry });
// Starts and signals that a Temporal outage (or a crash after a commit) left in the outbox.
const outboxRelay = startWorkflowOutboxRelay({ config, sequelize, temporal, logger });
const server = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST }, (info) =>
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

onShutdownSignal(logger, 10_000, async () => {
  // Stop accepting, let in-flight requests finish, then release the pools.
  await new Promise<void>((resolve) => server.close(() => resolve()));
  metricsServer.close();
  await outboxRelay.stop();
  await temporal.connection.close();
  await sequelize.close();
});
