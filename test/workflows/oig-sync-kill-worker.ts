/**
 * A worker in its own process, for the test that SIGKILLs it in the middle of the OIG COPY.
 * Started as `node --import tsx -e "require('./test/workflows/oig-sync-kill-worker.ts')"` with the
 * stack's settings in the environment; prints "polling" once it polls TEMPORAL_TASK_QUEUE.
 */
import { initModels } from '../../db/models';
import { createSequelize } from '../../db/sequelize';
import { createRoute53Client, createS3Client } from '../../lib/aws';
import { loadConfig } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { connectWorkerConnection, createTemporalClient } from '../../lib/temporal';
import { createWorker } from '../../workers/create-worker';

async function main() {
  const config = loadConfig();
  const sequelize = createSequelize(config.DATABASE_URL);
  initModels(sequelize);
  const worker = await createWorker({
    connection: await connectWorkerConnection(config),
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    deps: {
      config,
      sequelize,
      s3: createS3Client(config),
      route53: createRoute53Client(config),
      temporal: createTemporalClient(config),
      logger: createLogger({ level: 'silent', name: 'doomed-worker' }),
    },
  });
  console.log('polling');
  await worker.run();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
