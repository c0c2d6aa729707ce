import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../../lib/config';
import { freePort } from '../../scripts/stack/processes';
import { WORKER_ENV, WORKER_NODE_FLAGS } from '../../workers/process-options';
import { stack } from './stack';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface WorkerProcess {
  child: ChildProcess;
  /** SIGKILL: no drain, no heartbeat flush — what a crashed host looks like to Temporal. */
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The real worker entry point (`workers/main.ts`, or another worker `script`) in its own process,
 * pointed at the test stack, so a test can kill -9 it. Resolves once it logs "worker started".
 */
export async function startWorkerProcess(
  taskQueue: string,
  overrides: Partial<Config> = {},
  script = 'workers/main.ts',
): Promise<WorkerProcess> {
  const { config } = stack();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...WORKER_ENV,
    LOG_LEVEL: 'info',
    DATABASE_URL: config.DATABASE_URL,
    TEMPORAL_ADDRESS: config.TEMPORAL_ADDRESS,
    AWS_ENDPOINT_URL: config.AWS_ENDPOINT_URL,
    ROUTE53_HOSTED_ZONE_ID: config.ROUTE53_HOSTED_ZONE_ID,
    TEMPORAL_TASK_QUEUE: taskQueue,
    WORKER_ENSURE_SCHEDULES: 'false',
    WORKER_METRICS_ADDRESS: `127.0.0.1:${await freePort()}`,
    WORKER_SHUTDOWN_GRACE_TIME: '2',
  };
  for (const [name, value] of Object.entries(overrides)) {
    if (value !== undefined) env[name] = Array.isArray(value) ? value.join(',') : String(value);
  }
  const child = spawn(process.execPath, [...WORKER_NODE_FLAGS, '--import', 'tsx', path.join(root, script)], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`worker process did not start:\n${output.slice(-2000)}`)),
      90_000,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('"msg":"worker started"')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker process exited (${code}) before starting:\n${output.slice(-2000)}`));
    });
  });
  return {
    child,
    async kill9() {
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
