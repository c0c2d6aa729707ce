import { Runtime } from '@temporalio/worker';
import { initModels } from '../db/models';
import { createSequelize } from '../db/sequelize';
import { createRoute53Client, createS3Client } from '../lib/aws';
import { loadConfigOrExit } from '../lib/config';
import { createLogger } from '../lib/logger';
import { connectWorkerConnection, createTemporalClient } from '../lib/temporal';
import { createWorker } from './create-worker';

const config = loadConfigOrExit();
const logger = createLogger({ level: config.LOG_LEVEL, name: 'worker' });
// The SDK's own signal handling drains the worker on SIGINT/SIGTERM within shutdownGraceTime.
Runtime.install({ shutdownSignals: ['SIGINT', 'SIGTERM'] });

const sequelize = createSequelize(config.DATABASE_URL);
initModels(sequelize);
const connection = await connectWorkerConnection(config);
const temporal = createTemporalClient(config);
const s3 = createS3Client(config);
const route53 = createRoute53Client(config);

const worker = await createWorker({
  connection,
  taskQueue: config.TEMPORAL_TASK_QUEUE,
  deps: { config, sequelize, s3, route53, temporal, logger },
});
logger.info(
  { taskQueue: config.TEMPORAL_TASK_QUEUE, namespace: config.TEMPORAL_NAMESPACE },
  'worker started',
);
try {
  await worker.run();
  logger.info('worker stopped: in-flight work drained');
} finally {
  await connection.close();
  await temporal.connection.close();
  await sequelize.close();
  s3.destroy();
  route53.destroy();
}
