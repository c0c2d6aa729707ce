/**
 * A worker process whose Route 53 changes never reach INSYNC (moto is always INSYNC at once), so a
 * fault test can SIGKILL it between the UPSERT and INSYNC. Everything but that one activity is real.
 * Run with the stack's settings in the environment (see startWorkerProcess).
 */

import { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities/index';
import { createSequelize } from '../../db/sequelize';
import { createRoute53Client, createS3Client } from '../../lib/aws';
import { loadConfigOrExit } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { connectWorkerConnection, createDataConverter, createTemporalClient } from '../../lib/temporal';
import { bundleWorkflows } from '../../workers/workflow-bundle';

const config = loadConfigOrExit();
const logger = createLogger({ level: 'info', name: 'pending-dns-worker' });
const sequelize = createSequelize(config.DATABASE_URL);
const deps = {
  config,
  sequelize,
  s3: createS3Client(config),
  route53: createRoute53Client(config),
  temporal: createTemporalClient(config),
  logger,
};
const worker = await Worker.create({
  connection: await connectWorkerConnection(config),
  namespace: config.TEMPORAL_NAMESPACE,
  taskQueue: config.TEMPORAL_TASK_QUEUE,
  workflowBundle: await bundleWorkflows(),
  activities: { ...createActivities(deps), getDnsChangeStatus: async () => 'PENDING' },
  dataConverter: createDataConverter(config),
});
logger.info('worker started');
await worker.run();
