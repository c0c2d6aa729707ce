import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Route53Client } from '@aws-sdk/client-route-53';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import {
  type ActivityInterceptorsFactory,
  type NativeConnection,
  Runtime,
  type Worker,
  type WorkflowBundle,
} from '@temporalio/worker';
import type { Sequelize } from 'sequelize';
import type { ActivityDeps } from '../../activities/deps';
import { createApp } from '../../api/app';
import { migrateUp } from '../../db/migrator';
import { createSequelize } from '../../db/sequelize';
import { createRoute53Client, createS3Client } from '../../lib/aws';
import { type Config, loadConfig } from '../../lib/config';

/** Rate limits the suite cannot reach (docs/spec.md §11); the rate-limit tests override them. */
export const TEST_RATE_LIMITS = {
  RATE_LIMIT_ANON_PER_MINUTE: '1000000',
  RATE_LIMIT_USER_PER_MINUTE: '1000000',
  RATE_LIMIT_LOGIN_FAILURES: '100000',
};

import { createLogger } from '../../lib/logger';
import { createTemporalClient, ensureSearchAttributes } from '../../lib/temporal';
import { ensureAwsResources } from '../../scripts/stack/aws-resources';
import { startMoto } from '../../scripts/stack/moto';
import { startEmbeddedPostgres } from '../../scripts/stack/postgres';
import { freePort } from '../../scripts/stack/processes';
import { resolveTemporalCli } from '../../scripts/stack/temporal-cli';
import { startTemporalDevServer } from '../../scripts/stack/temporal-server';
import { createWorker } from '../../workers/create-worker';
import { bundleWorkflows } from '../../workers/workflow-bundle';
import { recordHistories } from './record-histories';

/** The real stack every integration test shares: one per mocha run. */
export interface TestStack {
  config: Config;
  sequelize: Sequelize;
  temporal: Client;
  workerConnection: NativeConnection;
  workflowBundle: WorkflowBundle;
  s3: S3Client;
  route53: Route53Client;
  activityDeps(overrides?: Partial<Config>): ActivityDeps;
  createWorker(
    taskQueue: string,
    overrides?: Partial<Config>,
    options?: { activityInterceptors?: ActivityInterceptorsFactory[] },
  ): Promise<Worker>;
  createApp(overrides?: Partial<Config>): ReturnType<typeof createApp>;
  /** Stops a shared service, runs `whileDown`, and starts it again on the same port and data. */
  restart: {
    postgres(whileDown?: () => Promise<void>): Promise<void>;
    temporal(whileDown?: () => Promise<void>): Promise<void>;
  };
  /**
   * Stops moto with SIGSTOP, runs `whileStopped`, then SIGCONT. moto keeps its buckets in memory,
   * so it cannot be restarted like Postgres; a stopped process keeps them and is really away: its
   * open connections and new ones (the kernel still completes the handshake) hang unanswered.
   */
  suspend: {
    moto(whileStopped: () => Promise<void>): Promise<void>;
  };
}

let current: TestStack | undefined;
let teardowns: (() => Promise<unknown>)[] = [];

export function stack(): TestStack {
  if (!current) throw new Error('The test stack is not started (test/support/root-hooks.ts starts it).');
  return current;
}

/** Every log line the API and activities write during the run, checked for secrets at the end. */
export const capturedLogLines: string[] = [];
export const testLogger = createLogger(
  { level: 'debug', name: 'test' },
  { write: (line: string) => void capturedLogLines.push(line) },
);

export async function startTestStack(): Promise<TestStack> {
  Runtime.install({
    logger: {
      log: () => {},
      trace: () => {},
      debug: () => {},
      info: () => {},
      warn: () => {},
      error: (message, meta) => console.error('[temporal]', message, meta ?? ''),
    },
  });
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ale-test-'));
  // As root, embedded Postgres runs as a 'postgres' user that must be able to enter this folder.
  fs.chmodSync(workDir, 0o755);
  teardowns.push(async () => fs.rmSync(workDir, { recursive: true, force: true }));

  const cli = resolveTemporalCli((line) => console.log(`[stack] ${line}`));
  const [pgPort, motoPort, temporalPort, temporalUiPort] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  const pgDataDir = path.join(workDir, 'pg');
  const temporalOptions = {
    cli,
    port: temporalPort,
    uiPort: temporalUiPort,
    namespace: 'default',
    dbFile: path.join(workDir, 'temporal.sqlite'),
    logFile: path.join(workDir, 'temporal.log'),
  };
  let [postgres, temporalServer] = await Promise.all([
    startEmbeddedPostgres({ dataDir: pgDataDir, port: pgPort, database: 'ale_test' }),
    startTemporalDevServer(temporalOptions),
  ]);
  const moto = await startMoto({ port: motoPort, logFile: path.join(workDir, 'moto.log') });
  teardowns.push(
    () => temporalServer.stop(),
    () => moto.stop(),
    () => postgres.stop(),
  );
  const env = await TestWorkflowEnvironment.createFromExistingServer({
    address: `127.0.0.1:${temporalPort}`,
  });
  teardowns.push(() => env.teardown());
  const restart = {
    async postgres(whileDown: () => Promise<void> = async () => {}) {
      await postgres.stop();
      await whileDown();
      postgres = await startEmbeddedPostgres({ dataDir: pgDataDir, port: pgPort, database: 'ale_test' });
      // Pooled connections died with the server; drop them so later tests start clean.
      await (
        sequelize.connectionManager as unknown as { pool: { destroyAllNow(): Promise<void> } }
      ).pool.destroyAllNow();
    },
    async temporal(whileDown: () => Promise<void> = async () => {}) {
      await temporalServer.stop();
      await whileDown();
      temporalServer = await startTemporalDevServer(temporalOptions);
    },
  };

  const suspend = {
    async moto(whileStopped: () => Promise<void>) {
      moto.child.kill('SIGSTOP');
      try {
        await whileStopped();
      } finally {
        moto.child.kill('SIGCONT');
      }
    },
  };

  const config = loadConfig({
    LOG_LEVEL: 'silent',
    DATABASE_URL: postgres.url,
    TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
    AWS_ENDPOINT_URL: `http://127.0.0.1:${motoPort}`,
    // In-process requests have no socket, so the whole suite is one client address and its users
    // make thousands of requests a minute: the limits are far out of the way here, and the tests
    // of the limits (test/api/rate-limits.test.ts) set low ones on their own apps.
    ...TEST_RATE_LIMITS,
  });
  const { hostedZoneId, s3EventsQueueUrl } = await ensureAwsResources(config);
  config.ROUTE53_HOSTED_ZONE_ID = hostedZoneId;
  config.S3_EVENTS_QUEUE_URL = s3EventsQueueUrl;

  const sequelize = createSequelize(config.DATABASE_URL);
  await migrateUp(sequelize);
  const temporal = createTemporalClient(config);
  await ensureSearchAttributes(temporal, config.TEMPORAL_NAMESPACE);
  const s3 = createS3Client(config);
  const route53 = createRoute53Client(config);
  teardowns.push(
    () => sequelize.close(),
    () => temporal.connection.close(),
    async () => {
      s3.destroy();
      route53.destroy();
    },
  );

  const workflowBundle = await bundleWorkflows();
  const activityDeps = (overrides: Partial<Config> = {}): ActivityDeps => ({
    config: { ...config, ...overrides },
    sequelize,
    s3,
    route53,
    temporal,
    logger: testLogger,
  });
  current = {
    config,
    sequelize,
    temporal,
    workerConnection: env.nativeConnection,
    workflowBundle,
    s3,
    route53,
    activityDeps,
    createWorker: (taskQueue, overrides, options) =>
      createWorker({
        connection: env.nativeConnection,
        taskQueue,
        workflowBundle,
        deps: activityDeps(overrides),
        shutdownGraceSeconds: 2,
        activityInterceptors: options?.activityInterceptors,
      }),
    restart,
    suspend,
    createApp: (overrides = {}) =>
      createApp({ config: { ...config, ...overrides }, sequelize, temporal, logger: testLogger }),
  };
  return current;
}

export async function stopTestStack(): Promise<void> {
  if (process.env.RECORD_HISTORIES === '1' && current) {
    console.log(`[stack] recorded histories: ${(await recordHistories(current.temporal)).join(', ')}`);
  }
  const steps = teardowns.reverse();
  teardowns = [];
  current = undefined;
  for (const step of steps) {
    await step().catch((error) => console.error('[stack] teardown step failed:', (error as Error).message));
  }
}
