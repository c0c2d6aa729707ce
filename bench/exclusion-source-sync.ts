/**
 * SAM sync benchmark (docs/spec.md §8, issue 22): a generated SAM.gov extract (--rows, the real
 * file's ≈ 170k rows) as a ZIP holding one CSV, served from a loopback HTTP server and synced by the
 * real `exclusionSourceSync` workflow on the real worker (`workers/main.ts`, its own process) —
 * download → archive → unzip → adapter → COPY → swap — timed from workflow start to the swapped list.
 *
 *   npx tsx bench/exclusion-source-sync.ts [--rows 170000] [--runs 3]
 *
 * Baseline, same run, same file: `unzip -p file.zip | psql \copy` into a bare 31-column text table.
 * Prints the first import (empty list), a monthly churn of 1 % (1 % of the rows gone, as many new;
 * `--runs` times alternating between the two files) with their ratio to the baseline, and the
 * worker's memory (RSS sampled during the syncs, VmHWM). Targets: TARGET_RATIO, TARGET_RSS_MB and
 * TARGET_CHURN_MS; current figures are in docs/benchmarks.md.
 */
import { execSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { SAM_COLUMNS } from '../domain/exclusion-sources/sam';
import type { ExclusionSourceSyncResult } from '../lib/exclusion-source-contract';
import {
  formatSamLine,
  generateSamRows,
  SAM_CSV_NAME,
  SAM_HEADER_LINE,
  zipStream,
} from '../scripts/generate-exclusion-source';
import { ListSiteStub } from '../test/support/list-site-stub';
import { stack, startTestStack, stopTestStack } from '../test/support/stack';
import { startWorkerProcess, type WorkerProcess } from '../test/support/worker-process';
import { exclusionSourceSync } from '../workflows/exclusion-source-sync';
import { memoryOf, sampleRss } from './support/process-memory';
import { median, ms } from './support/timing';
import { activityTimes } from './support/workflow-steps';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '170000' },
    runs: { type: 'string', default: '3' },
  },
});
const ROWS = Number(values.rows);
const RUNS = Number(values.runs);
const CHURN = Math.round(ROWS / 100);
const TARGET_RATIO = 3;
const TARGET_RSS_MB = 300;
const TARGET_CHURN_MS = 1000;
const SAM_PATH = '/data-services/v1/extracts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sam-bench-'));

/** The extract as a ZIP: `rows` generated rows (seed 1), less the first `drop`, plus `add` new ones. */
async function writeSamZip(file: string, drop: number, add: number) {
  function* lines() {
    yield SAM_HEADER_LINE;
    let index = 0;
    for (const row of generateSamRows({ rows: ROWS, seed: 1 })) if (index++ >= drop) yield formatSamLine(row);
    if (add > 0) for (const row of generateSamRows({ rows: add, seed: 99 })) yield formatSamLine(row);
  }
  const csv = Readable.from(lines(), { objectMode: false });
  await pipeline(zipStream([{ name: SAM_CSV_NAME, content: csv }]), fs.createWriteStream(file));
  return fs.statSync(file).size;
}

function unzipCopy(url: string, file: string): number {
  const columns = SAM_COLUMNS.map((_, index) => `c${index} text`).join(', ');
  execSync(`psql '${url}' -q -c 'DROP TABLE IF EXISTS bench_bare; CREATE TABLE bench_bare (${columns})'`);
  const start = process.hrtime.bigint();
  execSync(
    `unzip -p '${file}' | psql '${url}' -q -c "\\copy bench_bare FROM STDIN WITH (FORMAT csv, HEADER true)"`,
  );
  const elapsed = ms(start);
  execSync(`psql '${url}' -q -c 'DROP TABLE bench_bare'`);
  return elapsed;
}

async function sync(worker: WorkerProcess, taskQueue: string) {
  const rss = sampleRss(worker.child.pid as number);
  const start = process.hrtime.bigint();
  try {
    const handle = await stack().temporal.workflow.start(exclusionSourceSync, {
      taskQueue,
      workflowId: `exclusion-source-sync/sam/bench-${randomUUID()}`,
      args: [{ sourceId: 'sam', trigger: 'manual', force: false }],
    });
    const result: ExclusionSourceSyncResult = await handle.result();
    const elapsed = ms(start);
    // The rescreen it started runs on; the next sync waits for it, as the next day's would.
    if (result.rescreenWorkflowId)
      await stack().temporal.workflow.getHandle(result.rescreenWorkflowId).result();
    return { result, ms: elapsed, peakRssMb: rss.stop(), steps: await activityTimes(handle) };
  } finally {
    rss.stop();
  }
}

async function main() {
  console.log(`SAM sync benchmark: ${ROWS} rows, churn ${CHURN}; starting the test stack…`);
  await startTestStack();
  const site = await ListSiteStub.start();
  try {
    const firstFile = path.join(dir, 'sam-1.zip');
    const churnedFile = path.join(dir, 'sam-2.zip');
    const bytes = await writeSamZip(firstFile, 0, 0);
    await writeSamZip(churnedFile, CHURN, CHURN);
    console.log(`ZIP: ${(bytes / 1024 / 1024).toFixed(1)} MB`);

    const copies = [0, 1, 2].map(() => unzipCopy(stack().config.DATABASE_URL, firstFile));
    const copyMs = median(copies);
    console.log(`baseline unzip -p | psql \\copy (median of 3): ${copyMs.toFixed(0)} ms`);

    await stack().sequelize.query(`DELETE FROM exclusion_source_records WHERE source = 'sam'`);
    const taskQueue = `sam-bench-${randomUUID()}`;
    const worker = await startWorkerProcess(taskQueue, {
      EXCLUSION_SOURCES: ['leie', 'sam'],
      SAM_EXTRACT_URL: `${site.url(SAM_PATH)}?fileType=EXCLUSION`,
      SAM_API_KEY: 'bench',
    });
    type Run = Awaited<ReturnType<typeof sync>>;
    const first: Run[] = [];
    const monthly: Run[] = [];
    let idle: ReturnType<typeof memoryOf>;
    let maxRss: number;
    try {
      await new Promise((resolve) => setTimeout(resolve, 2000));
      idle = memoryOf(worker.child.pid as number);
      site.set(SAM_PATH, { body: fs.readFileSync(firstFile) });
      first.push(await sync(worker, taskQueue));
      for (let run = 0; run < RUNS; run++) {
        site.set(SAM_PATH, { body: fs.readFileSync(run % 2 === 0 ? churnedFile : firstFile) });
        monthly.push(await sync(worker, taskQueue));
      }
      maxRss = memoryOf(worker.child.pid as number).hwm;
    } finally {
      await worker.stop();
    }
    let peak = 0;
    for (const [name, runs] of [
      ['first import (empty list)', first],
      [`monthly churn (-${CHURN}/+${CHURN} rows)`, monthly],
    ] as const) {
      const times = runs.map((run) => run.ms);
      const typical = median(times);
      const { status, rowCount, added, removed, rejectedRows } = (runs[0] as Run).result;
      const runsPeak = Math.max(...runs.map((run) => run.peakRssMb));
      peak = Math.max(peak, runsPeak);
      const range =
        runs.length > 1 ? ` (${Math.min(...times).toFixed(0)}–${Math.max(...times).toFixed(0)})` : '';
      console.log(
        `${name.padEnd(34)} ${typical.toFixed(0).padStart(6)} ms  ${(typical / copyMs).toFixed(2)}× baseline${range}  ` +
          `(${status}: ${rowCount} rows, +${added} −${removed}, ${rejectedRows} rejected)`,
      );
      const slowest = runs.reduce((a, b) => (b.ms > a.ms ? b : a));
      console.log(
        `  activities of the slowest run (ms): ${slowest.steps}; worker peak RSS ${runsPeak.toFixed(0)} MB`,
      );
    }
    console.log(
      `worker RSS: ${idle.rss.toFixed(0)} MB idle, ${peak.toFixed(0)} MB peak during the syncs, VmHWM ${maxRss.toFixed(0)} MB`,
    );
    const firstMs = median(first.map((run) => run.ms));
    const churnMs = median(monthly.map((run) => run.ms));
    console.log(
      `targets: first import ≤ ${TARGET_RATIO}× baseline: ${firstMs / copyMs <= TARGET_RATIO ? 'met' : 'NOT met'}; ` +
        `RSS ≤ ${TARGET_RSS_MB} MB: ${maxRss <= TARGET_RSS_MB ? 'met' : 'NOT met'}; ` +
        `1 % churn ≤ ${TARGET_CHURN_MS} ms: ${churnMs <= TARGET_CHURN_MS ? 'met' : 'NOT met'}`,
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
