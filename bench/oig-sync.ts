/**
 * OIG sync benchmark (docs/spec.md §4.4): a generated LEIE file (--rows) served from a loopback HTTP
 * server, synced by the real workflow on a real worker (Temporal dev server, embedded Postgres,
 * moto S3 — the test stack) — download → archive → COPY → normalize → swap.
 *
 *   npx tsx bench/oig-sync.ts [--rows 82000] [--churn 800] [--runs 5]
 *
 * Baseline, same run, same file: `psql \copy` into a bare 18-column text table (/usr/bin/psql).
 * Prints the first import (empty list: every name normalized), the monthly case (a new file with
 * `churn` rows removed and as many added; `--runs` times, alternating between the two files, so each
 * run has the same difference to apply) and a forced reload of an identical file (`--runs` times),
 * each as the median (and range) with its ratio to \copy. The syncs run on the real worker
 * (`workers/main.ts`, its own process, as in production); its memory is read from
 * /proc/<pid>/status: RSS once started and idle, the peak RSS sampled during the syncs, and VmHWM
 * (the process's lifetime peak, start-up included). The targets are TARGET_RATIO and TARGET_RSS_MB;
 * current figures are in docs/benchmarks.md.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { LEIE_COLUMNS } from '../domain/leie';
import type { ExclusionSourceSyncResult } from '../lib/exclusion-source-contract';
import type { OigSyncInput } from '../lib/workflow-contracts';
import { formatLeieLine, generateLeieRows, LEIE_HEADER_LINE, writeLeieFile } from '../scripts/generate-leie';
import { OigSiteStub } from '../test/support/oig-site-stub';
import { stack, startTestStack, stopTestStack } from '../test/support/stack';
import { startWorkerProcess, type WorkerProcess } from '../test/support/worker-process';
import { exclusionSourceSync } from '../workflows/exclusion-source-sync';
import { memoryOf, sampleRss } from './support/process-memory';
import { median, ms } from './support/timing';
import { activityTimes } from './support/workflow-steps';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '82000' },
    churn: { type: 'string', default: '800' },
    runs: { type: 'string', default: '5' },
  },
});
const ROWS = Number(values.rows);
const CHURN = Number(values.churn);
const RUNS = Number(values.runs);
const PSQL = '/usr/bin/psql';
const TARGET_RATIO = 3;
const TARGET_RSS_MB = 300;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oig-bench-'));

/** The month after: the first `churn` rows left the list, `churn` new ones arrived. */
async function writeChurnedFile(file: string) {
  const out = fs.createWriteStream(file);
  out.write(LEIE_HEADER_LINE);
  let index = 0;
  for (const row of generateLeieRows(ROWS, 1)) {
    if (index++ >= CHURN) out.write(formatLeieLine(row));
  }
  for (const row of generateLeieRows(CHURN, 99)) out.write(formatLeieLine(row));
  out.end();
  await new Promise<void>((resolve) => out.on('finish', () => resolve()));
}

function psqlCopy(url: string, file: string): number {
  const columns = LEIE_COLUMNS.map((column) => `${column.toLowerCase()} text`).join(', ');
  execFileSync(PSQL, [
    url,
    '-q',
    '-c',
    `DROP TABLE IF EXISTS bench_bare; CREATE TABLE bench_bare (${columns})`,
  ]);
  const start = process.hrtime.bigint();
  execFileSync(PSQL, [url, '-q', '-c', `\\copy bench_bare FROM '${file}' WITH (FORMAT csv, HEADER true)`]);
  const elapsed = ms(start);
  execFileSync(PSQL, [url, '-q', '-c', 'DROP TABLE bench_bare']);
  return elapsed;
}

async function sync(worker: WorkerProcess, taskQueue: string, input: OigSyncInput) {
  const rss = sampleRss(worker.child.pid as number);
  const start = process.hrtime.bigint();
  try {
    const handle = await stack().temporal.workflow.start(exclusionSourceSync, {
      taskQueue,
      workflowId: `oig-sync/bench-${randomUUID()}`,
      args: [{ sourceId: 'leie', ...input }],
    });
    const result: ExclusionSourceSyncResult = await handle.result();
    const elapsed = ms(start);
    // The rescreen the sync started runs on: the next sync starts once it is done (a day later, in
    // production), so no run is measured while the previous one's follow-up work is still running.
    let rescreenMs: number | null = null;
    if (result.rescreenWorkflowId) {
      await stack().temporal.workflow.getHandle(result.rescreenWorkflowId).result();
      rescreenMs = ms(start) - elapsed;
    }
    return { result, ms: elapsed, rescreenMs, peakRssMb: rss.stop(), steps: await activityTimes(handle) };
  } finally {
    rss.stop();
  }
}

async function main() {
  console.log(`OIG sync benchmark: ${ROWS} rows, churn ${CHURN}; starting the test stack…`);
  await startTestStack();
  const site = await OigSiteStub.start();
  try {
    const firstFile = path.join(dir, 'UPDATED-1.csv');
    const churnedFile = path.join(dir, 'UPDATED-2.csv');
    const bytes = await writeLeieFile(firstFile, { rows: ROWS, seed: 1 });
    await writeChurnedFile(churnedFile);
    console.log(`file: ${(bytes / 1024 / 1024).toFixed(1)} MB`);

    const copies = [0, 1, 2].map(() => psqlCopy(stack().config.DATABASE_URL, firstFile));
    const copyMs = median(copies);
    console.log(`baseline psql \\copy (median of 3): ${copyMs.toFixed(0)} ms`);

    await stack().sequelize.query('TRUNCATE oig_employees_exclusion; DELETE FROM oig_exclusions_check;');
    const taskQueue = `oig-bench-${randomUUID()}`;
    const worker = await startWorkerProcess(taskQueue, site.config);
    type Run = Awaited<ReturnType<typeof sync>>;
    const scenarios: [string, Run[]][] = [
      ['first import (empty list)', []],
      [`next month (-${CHURN}/+${CHURN} rows)`, []],
      ['forced reload, identical file', []],
    ];
    const [first, monthly, reload] = scenarios.map(([, runs]) => runs) as [Run[], Run[], Run[]];
    let idle: ReturnType<typeof memoryOf>;
    let maxRss: number;
    try {
      // Let the freshly started worker settle.
      await new Promise((resolve) => setTimeout(resolve, 2000));
      idle = memoryOf(worker.child.pid as number);
      let day = 1;
      const publish = (file: string) => {
        site.setPageDate(`12-${String(day).padStart(2, '0')}-2026`);
        site.setCsv({ body: { file }, etag: `"${day++}"` });
      };
      publish(firstFile);
      first.push(await sync(worker, taskQueue, { trigger: 'manual' }));
      for (let run = 0; run < RUNS; run++) {
        publish(run % 2 === 0 ? churnedFile : firstFile);
        monthly.push(await sync(worker, taskQueue, { trigger: 'schedule' }));
      }
      for (let run = 0; run < RUNS; run++) {
        reload.push(await sync(worker, taskQueue, { trigger: 'manual', force: true }));
      }
      maxRss = memoryOf(worker.child.pid as number).hwm;
    } finally {
      await worker.stop();
    }

    let peak = 0;
    for (const [name, runs] of scenarios) {
      const times = runs.map((run) => run.ms);
      const typical = median(times);
      const { status, rowCount, added, removed } = (runs[0] as Run).result;
      const runsPeak = Math.max(...runs.map((run) => run.peakRssMb));
      peak = Math.max(peak, runsPeak);
      const range =
        runs.length > 1
          ? ` (${Math.min(...times).toFixed(0)}–${Math.max(...times).toFixed(0)}, median of ${runs.length})`
          : '';
      console.log(
        `${name.padEnd(32)} ${typical.toFixed(0).padStart(6)} ms  ${(typical / copyMs).toFixed(2)}× \\copy${range}  ` +
          `(${status}: ${rowCount} rows, +${added} −${removed})`,
      );
      const slowest = runs.reduce((a, b) => (b.ms > a.ms ? b : a));
      const rescreens = runs.flatMap((run) => (run.rescreenMs === null ? [] : [run.rescreenMs]));
      if (rescreens.length > 0) {
        console.log(
          `  then the rescreen of the added/removed keys: ${median(rescreens).toFixed(0)} ms (median)`,
        );
      }
      console.log(
        `  activities of the slowest run (ms): ${slowest.steps}; worker peak RSS ${runsPeak.toFixed(0)} MB`,
      );
    }
    console.log(
      `worker process (workers/main.ts) RSS: ${idle.rss.toFixed(0)} MB started and idle, ` +
        `${peak.toFixed(0)} MB peak sampled during the syncs, VmHWM ${maxRss.toFixed(0)} MB ` +
        `(lifetime peak, start-up included)`,
    );
    const monthlyMs = median(monthly.map((run) => run.ms));
    console.log(
      `target ≤ ${TARGET_RATIO}× \\copy (monthly sync, median): ${monthlyMs / copyMs <= TARGET_RATIO ? 'met' : 'NOT met'}; ` +
        `RSS ≤ ${TARGET_RSS_MB} MB: ${maxRss <= TARGET_RSS_MB ? 'met' : 'NOT met'}`,
    );
  } finally {
    await site.close();
    await stopTestStack();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
