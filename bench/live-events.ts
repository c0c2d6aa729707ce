/**
 * Live events benchmark (docs/spec.md §12, issue 27): `--subscribers` Server-Sent Events clients
 * spread over two API replicas (`api/server.ts`, two processes on loopback, one Postgres) while a
 * `--rows` roster import runs on the real worker (`workers/main.ts`, its own process; the test
 * stack's Temporal dev server, embedded Postgres and moto).
 *
 *   npx tsx bench/live-events.ts [--rows 100000] [--subscribers 1000] [--runs 3]
 *
 * Prints: the delivery delay of the import's events (from the event row's commit-time
 * `created_at` to its arrival at each subscriber: p50, p95, max), how many subscribers missed the
 * `import.finished`, each replica's RSS before the subscribers, with them connected and at its peak
 * during the import, and the import's rows/s with the subscribers against none (median of `--runs`
 * imports each, alternating). Targets (issue 27): p95 ≤ 250 ms, no subscriber misses
 * `import.finished`, rows/s with subscribers ≥ 0.9× without.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { QueryTypes } from 'sequelize';
import { insertUser } from '../db/user-store';
import { hashPassword } from '../lib/passwords';
import { rosterImportWorkflowId, screeningWorkflowId } from '../lib/workflow-contracts';
import { writeRosterCsv } from '../scripts/generate-roster';
import { freePort, type ManagedProcess, startProcess, waitFor } from '../scripts/stack/processes';
import { sessionToken } from '../test/support/fixtures';
import { stack, startTestStack, stopTestStack } from '../test/support/stack';
import { startWorkerProcess } from '../test/support/worker-process';
import { rosterImport } from '../workflows/roster-import';
import { memoryOf, sampleRss } from './support/process-memory';
import { uploadRosterImport } from './support/roster-upload';
import { median, ms } from './support/timing';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '100000' },
    subscribers: { type: 'string', default: '1000' },
    runs: { type: 'string', default: '3' },
  },
});
const ROWS = Number(values.rows);
const SUBSCRIBERS = Number(values.subscribers);
const RUNS = Number(values.runs);
/** Well under RATE_LIMIT_USER_PER_MINUTE's default, even when every run reconnects them all. */
const SUBSCRIBERS_PER_USER = 50;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ale-bench-events-'));

interface Subscriber {
  /** event id → arrival (ms since epoch) of the import events. */
  arrivals: Map<string, number>;
  finished: Set<string>;
  close(): void;
}

/** One SSE client on http.get, parsing only what the figures need (id, event, importId). */
function subscribe(url: string, token: string): Promise<Subscriber> {
  return new Promise((resolve, reject) => {
    const arrivals = new Map<string, number>();
    const finished = new Set<string>();
    const request = http.get(url, {
      headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
    });
    request.once('error', reject);
    request.once('response', (response) => {
      if (response.statusCode !== 200) return reject(new Error(`events answered ${response.statusCode}`));
      response.setEncoding('utf8');
      let buffer = '';
      let connected = false;
      response.on('data', (chunk: string) => {
        const now = Date.now();
        buffer += chunk;
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (!connected && block.includes(': connected')) {
            connected = true;
            resolve({ arrivals, finished, close: () => request.destroy() });
          }
          const id = /^id: (\d+)$/m.exec(block)?.[1];
          const type = /^event: (.+)$/m.exec(block)?.[1];
          if (id && type?.startsWith('import.')) {
            arrivals.set(id, now);
            if (type === 'import.finished') finished.add(/"importId":"([^"]+)"/.exec(block)?.[1] ?? '');
          }
          end = buffer.indexOf('\n\n');
        }
      });
    });
  });
}

async function startApi(name: string): Promise<{ process: ManagedProcess; url: string }> {
  const { config } = stack();
  const [port, metricsPort] = await Promise.all([freePort(), freePort()]);
  const env = {
    ...process.env,
    APP_ENV: 'local',
    LOG_LEVEL: 'warn',
    DATABASE_URL: config.DATABASE_URL,
    TEMPORAL_ADDRESS: config.TEMPORAL_ADDRESS,
    AWS_ENDPOINT_URL: config.AWS_ENDPOINT_URL,
    ROUTE53_HOSTED_ZONE_ID: config.ROUTE53_HOSTED_ZONE_ID,
    PORT: String(port),
    METRICS_PORT: String(metricsPort),
  };
  const api = startProcess(name, process.execPath, ['--import', 'tsx', path.join(root, 'api/server.ts')], {
    env,
    cwd: root,
    logFile: path.join(workDir, `${name}.log`),
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`${name} /ready`, async () => (await fetch(`${url}/ready`)).ok, {
    process: api,
    timeoutMs: 90_000,
  });
  return { process: api, url };
}

async function runImport(taskQueue: string, file: string) {
  const { config, sequelize, s3, temporal } = stack();
  const { importId } = await uploadRosterImport({ sequelize, s3, bucket: config.AWS_S3_BUCKET_NAME }, file);
  const started = process.hrtime.bigint();
  const handle = await temporal.workflow.start(rosterImport, {
    taskQueue,
    workflowId: rosterImportWorkflowId(importId),
    args: [{ importId }],
  });
  const summary = await handle.result();
  const elapsed = ms(started);
  if (summary.rowsProcessed !== ROWS) throw new Error(`expected ${ROWS} rows, got ${summary.rowsProcessed}`);
  // The screening it started must not overlap the next run.
  await temporal.workflow.getHandle(screeningWorkflowId('import', importId)).result();
  return { importId, rowsPerSecond: ROWS / (elapsed / 1000) };
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;

async function main() {
  console.log(
    `live events benchmark: ${SUBSCRIBERS} subscribers, ${ROWS}-row import; starting the test stack…`,
  );
  await startTestStack();
  const apis: { process: ManagedProcess; url: string }[] = [];
  const subscribers: Subscriber[] = [];
  try {
    const { sequelize } = stack();
    // The subscribers are spread over several platform admins: one user opening a thousand streams
    // a minute is what the per-user rate limit (docs/spec.md §11) is there to refuse.
    const passwordHash = await hashPassword('bench-password-123');
    const tokens: string[] = [];
    for (let i = 0; i < Math.ceil(SUBSCRIBERS / SUBSCRIBERS_PER_USER); i++) {
      const admin = await insertUser(sequelize, {
        email: `bench-${randomUUID()}@ale.test`,
        name: 'Bench',
        password_hash: passwordHash,
        platform_admin: true,
      });
      tokens.push((await sessionToken(admin.id, 3600)).token);
    }
    apis.push(await startApi('api-a'), await startApi('api-b'));
    const taskQueue = `events-bench-${randomUUID()}`;
    const worker = await startWorkerProcess(taskQueue);
    const file = path.join(workDir, `roster-${ROWS}.csv`);
    await writeRosterCsv(file, ROWS);
    // Not measured: the first workflow task and code run, and the first import into the empty
    // table, which runs faster than every later one and would favour whichever side it fell to.
    await runImport(taskQueue, file).catch(() => {});

    const without: number[] = [];
    const withSubscribers: number[] = [];
    const rssBefore = apis.map((api) => memoryOf(api.process.child.pid as number).rss);
    let rssConnected: number[] = [];
    let rssPeak: number[] = [];
    const delays: number[] = [];
    let missed = 0;
    for (let run = 0; run < RUNS; run++) {
      // Alternating which goes first, so a machine that slows or speeds up favours neither.
      if (run % 2 === 0) without.push((await runImport(taskQueue, file)).rowsPerSecond);

      const connectStarted = Date.now();
      for (let i = 0; i < SUBSCRIBERS; i++) {
        const api = apis[i % apis.length] as { url: string };
        const token = tokens[i % tokens.length] as string;
        subscribers.push(await subscribe(`${api.url}/v1/events`, token));
      }
      const connectMs = Date.now() - connectStarted;
      rssConnected = apis.map((api) => memoryOf(api.process.child.pid as number).rss);
      const samplers = apis.map((api) => sampleRss(api.process.child.pid as number, 50));
      const { importId, rowsPerSecond } = await runImport(taskQueue, file);
      withSubscribers.push(rowsPerSecond);
      const deadline = Date.now() + 30_000;
      while (subscribers.some((s) => !s.finished.has(importId)) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      rssPeak = samplers.map((sampler) => sampler.stop());
      missed += subscribers.filter((s) => !s.finished.has(importId)).length;

      const events = await sequelize.query<{ id: string; at: number }>(
        `SELECT id::text, (extract(epoch FROM created_at) * 1000)::float8 AS at FROM live_events
         WHERE subject_id = $importId AND type LIKE 'import.%'`,
        { type: QueryTypes.SELECT, bind: { importId } },
      );
      for (const subscriber of subscribers) {
        for (const event of events) {
          const arrived = subscriber.arrivals.get(event.id);
          if (arrived !== undefined) delays.push(arrived - event.at);
        }
      }
      console.log(
        `run ${run + 1}: ${events.length} import events, ${SUBSCRIBERS} subscribers connected in ${connectMs} ms`,
      );
      for (const subscriber of subscribers.splice(0)) subscriber.close();
      if (run % 2 === 1) without.push((await runImport(taskQueue, file)).rowsPerSecond);
    }
    await worker.stop();

    delays.sort((a, b) => a - b);
    const ratio = median(withSubscribers) / median(without);
    const p95 = percentile(delays, 0.95);
    console.log(`live events: ${SUBSCRIBERS} subscribers over 2 replicas, ${ROWS}-row import`);
    console.log(
      `  delivery delay: p50 ${percentile(delays, 0.5).toFixed(0)} ms, p95 ${p95.toFixed(0)} ms, max ${(delays.at(-1) ?? 0).toFixed(0)} ms over ${delays.length} deliveries (target p95 ≤ 250 ms: ${p95 <= 250 ? 'met' : 'NOT met'})`,
    );
    console.log(
      `  subscribers that missed import.finished: ${missed} (target 0: ${missed === 0 ? 'met' : 'NOT met'})`,
    );
    apis.forEach((_, i) => {
      console.log(
        `  api-${'ab'[i]} RSS: ${rssBefore[i]?.toFixed(0)} MB before, ${rssConnected[i]?.toFixed(0)} MB with ${SUBSCRIBERS / 2} streams, peak ${rssPeak[i]?.toFixed(0)} MB during the import (growth ${((rssPeak[i] ?? 0) - (rssBefore[i] ?? 0)).toFixed(0)} MB)`,
      );
    });
    console.log(
      `  rows/s without: ${without.map((r) => r.toFixed(0)).join(', ')}; with: ${withSubscribers.map((r) => r.toFixed(0)).join(', ')}`,
    );
    console.log(
      `  import: ${median(without).toFixed(0)} rows/s without subscribers, ${median(withSubscribers).toFixed(0)} rows/s with: ${ratio.toFixed(2)}× (target ≥ 0.9×: ${ratio >= 0.9 ? 'met' : 'NOT met'})`,
    );
  } finally {
    for (const subscriber of subscribers) subscriber.close();
    for (const api of apis) await api.process.stop();
    await stopTestStack();
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
