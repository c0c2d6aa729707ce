import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../../lib/config';
import { freePort } from '../../scripts/stack/processes';
import { stack } from './stack';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface ApiProcess {
  /** `http://127.0.0.1:<port>` of this replica. */
  base: string;
  stop(): Promise<void>;
}

/**
 * The real API entry point (`api/server.ts`) in its own process, pointed at the test stack's
 * Postgres and Temporal: two of these are two replicas that share nothing but the database
 * (no module state, no token cache). Resolves once it listens.
 */
export async function startApiProcess(overrides: Partial<Config> = {}): Promise<ApiProcess> {
  const { config } = stack();
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    LOG_LEVEL: 'info',
    HOST: '127.0.0.1',
    PORT: String(port),
    METRICS_PORT: String(await freePort()),
    DATABASE_URL: config.DATABASE_URL,
    TEMPORAL_ADDRESS: config.TEMPORAL_ADDRESS,
    AWS_ENDPOINT_URL: config.AWS_ENDPOINT_URL,
    ROUTE53_HOSTED_ZONE_ID: config.ROUTE53_HOSTED_ZONE_ID,
  };
  for (const [name, value] of Object.entries(overrides)) {
    if (value !== undefined) env[name] = Array.isArray(value) ? value.join(',') : String(value);
  }
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'api/server.ts')], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`API process did not start:\n${output.slice(-2000)}`)),
      60_000,
    );
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('API listening')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`API process exited (${code}) before listening:\n${output.slice(-2000)}`));
    });
  });
  return {
    base: `http://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
