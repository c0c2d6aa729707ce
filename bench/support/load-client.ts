/**
 * An autocannon client in its own process, so the load generator does not share the measured
 * server's event loop: `node --import tsx bench/support/load-client.ts '<json options>'` runs one
 * bounded autocannon run (loopback URLs only) and prints one JSON line with the request count and
 * the p50/p95/p99 of every response's latency. Any answer but 200 fails the run.
 * `runLoadClient` spawns it and reads that line.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface LoadOptions {
  url: string;
  connections: number;
  seconds: number;
  headers?: Record<string, string>;
}

export interface LoadResult {
  requests: number;
  p50: number;
  p95: number;
  p99: number;
}

const here = fileURLToPath(import.meta.url);

export function runLoadClient(options: LoadOptions): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', here, JSON.stringify(options)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`load client for ${options.url} exited with ${code}`));
      resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '') as LoadResult);
    });
  });
}

function percentile(sorted: number[], p: number) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function main(options: LoadOptions) {
  const { hostname } = new URL(options.url);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(hostname)) throw new Error('loopback URLs only');
  // autocannon ships no type declarations.
  const autocannon = createRequire(import.meta.url)('autocannon') as (options: object) => Promise<{
    requests: { total: number };
  }> & {
    on(
      event: 'response',
      listener: (client: unknown, status: number, bytes: number, time: number) => void,
    ): void;
  };
  const latencies: number[] = [];
  let failure: string | undefined;
  const instance = autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.seconds,
    headers: options.headers ?? {},
  });
  instance.on('response', (_client, status, _bytes, time) => {
    if (status !== 200) failure ??= `${options.url} answered ${status}`;
    latencies.push(time);
  });
  const result = await instance;
  if (failure) throw new Error(failure);
  latencies.sort((a, b) => a - b);
  const summary: LoadResult = {
    requests: result.requests.total,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === here) {
  await main(JSON.parse(process.argv[2] ?? '{}') as LoadOptions);
}
