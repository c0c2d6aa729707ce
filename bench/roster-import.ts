/**
 * Roster import benchmark (docs/spec.md §4.2): a generated employee CSV end to end — S3 object (moto) →
 * streamed parse → validated → committed rows — as the `rosterImport` workflow on the real worker
 * (`workers/main.ts` in its own process with its production flags; Temporal dev server, embedded
 * Postgres, moto: the test stack), timed from workflow start to its result, against two `psql \copy`
 * baselines of the same file in the same run: into a bare table of the CSV's columns, and into a
 * table of the employees table's shape (bench/support/roster-copy.ts).
 *
 *   npx tsx bench/roster-import.ts [--rows 100000] [--batch 1000] [--runs 3] [--rss-rows 0]
 *
 * Each figure is the median of `--runs` runs (all printed), the import into a new organization each
 * time: on this 2-core machine one run can differ noticeably from the next.
 *
 * `--rss-rows 1000000` also imports a million-row file and reports the worker's RSS: sampled during
 * that import, and VmHWM (its lifetime peak, start-up and the first import included).
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { QueryTypes, type Sequelize } from 'sequelize';
import type { RosterImportSummary } from '../lib/workflow-contracts';
import { rosterImportWorkflowId, screeningWorkflowId } from '../lib/workflow-contracts';
import { writeRosterCsv } from '../scripts/generate-roster';
import { stack, startTestStack, stopTestStack } from '../test/support/stack';
import { startWorkerProcess } from '../test/support/worker-process';
import { rosterImport } from '../workflows/roster-import';
import { memoryOf, sampleRss } from './support/process-memory';
import { createShapedCopyTable, psqlCopyRoster, SHAPED_COPY_COLUMNS } from './support/roster-copy';
import { uploadRosterImport } from './support/roster-upload';
import { median, ms } from './support/timing';
import { activityTimes } from './support/workflow-steps';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '100000' },
    batch: { type: 'string', default: '1000' },
    runs: { type: 'string', default: '3' },
    'rss-rows': { type: 'string', default: '0' },
  },
});
const ROWS = Number(values.rows);
const BATCH = Number(values.batch);
const RUNS = Number(values.runs);
const RSS_ROWS = Number(values['rss-rows']);
const TARGET_RSS_MB = 400;
const spread = (values: number[]) =>
  `${median(values).toFixed(0)} ms (median of ${values.map((v) => v.toFixed(0)).join(', ')})`;

const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ale-bench-import-'));

/**
 * Uploads `file`, records an import of it in a new organization and runs the workflow on the worker
 * process. Times workflow start → result (the rows committed, the summary written); then waits for
 * the screening of the imported people the workflow started, so the next run starts on a quiet worker.
 */
async function importFile(taskQueue: string, workerPid: number, file: string, rows: number) {
  const { config, sequelize, s3, temporal } = stack();
  const { importId } = await uploadRosterImport({ sequelize, s3, bucket: config.AWS_S3_BUCKET_NAME }, file);
  const rss = sampleRss(workerPid, 50);
  const started = process.hrtime.bigint();
  const handle = await temporal.workflow.start(rosterImport, {
    taskQueue,
    workflowId: rosterImportWorkflowId(importId),
    args: [{ importId, batchSize: BATCH }],
  });
  let summary: RosterImportSummary;
  let peakRssMb: number;
  try {
    summary = await handle.result();
  } finally {
    peakRssMb = rss.stop();
  }
  const elapsed = ms(started);
  if (summary.counts.inserted !== rows || summary.rowsProcessed !== rows) {
    throw new Error(`expected ${rows} inserted rows, got ${JSON.stringify(summary.counts)}`);
  }
  const screeningStarted = process.hrtime.bigint();
  await temporal.workflow.getHandle(screeningWorkflowId('import', importId)).result();
  const screeningMs = ms(screeningStarted);
  return { ms: elapsed, peakRssMb, screeningMs, steps: await activityTimes(handle) };
}

/** Runs `psql \\copy` of the roster file into `table` and times it. */
function timedCopy(file: string, table: string, columns = '') {
  const started = process.hrtime.bigint();
  psqlCopyRoster(stack().config.DATABASE_URL, file, table, columns);
  return ms(started);
}

/** Baseline 1: a bare table of the CSV's seven text/date columns, no index. */
async function copyIntoBareTable(file: string, db: Sequelize) {
  await db.query(
    'DROP TABLE IF EXISTS bench_copy; CREATE TABLE bench_copy (external_id text, first_name text, last_name text, dob date, npi text, email text, title text)',
  );
  await db.query('CHECKPOINT');
  return timedCopy(file, 'bench_copy');
}

/** Baseline 2: the employees-shaped table (bench/support/roster-copy.ts). */
async function copyIntoShapedTable(file: string, db: Sequelize) {
  await createShapedCopyTable(db);
  const [{ indexes } = { indexes: 0 }] = await db.query<{ indexes: number }>(
    "SELECT count(*)::int AS indexes FROM pg_indexes WHERE tablename = 'bench_copy_shaped'",
    { type: QueryTypes.SELECT },
  );
  await db.query('CHECKPOINT');
  return { elapsed: timedCopy(file, 'bench_copy_shaped', SHAPED_COPY_COLUMNS), indexes };
}

async function main() {
  console.log(`roster import benchmark: ${ROWS} rows; starting the test stack…`);
  await startTestStack();
  const { sequelize } = stack();
  try {
    const file = path.join(workDir, `roster-${ROWS}.csv`);
    const bytes = await writeRosterCsv(file, ROWS);
    const copies: number[] = [];
    const shapedCopies: number[] = [];
    let indexes = 0;
    for (let run = 0; run < RUNS; run++) {
      copies.push(await copyIntoBareTable(file, sequelize));
      const shaped = await copyIntoShapedTable(file, sequelize);
      shapedCopies.push(shaped.elapsed);
      indexes = shaped.indexes;
    }
    await sequelize.query('DROP TABLE bench_copy, bench_copy_shaped; CHECKPOINT');
    const taskQueue = `roster-bench-${randomUUID()}`;
    const worker = await startWorkerProcess(taskQueue);
    const pid = worker.child.pid as number;
    try {
      // A long-running worker has run workflows and imports before: its first workflow task and
      // the import code's first run are not what an import costs.
      const warmUp = path.join(workDir, 'warm-up.csv');
      await writeRosterCsv(warmUp, 1000);
      await importFile(taskQueue, pid, warmUp, 1000);
      await sleep(2000); // let the worker settle
      const idleMb = memoryOf(pid).rss;
      const runs: Awaited<ReturnType<typeof importFile>>[] = [];
      for (let run = 0; run < RUNS; run++) runs.push(await importFile(taskQueue, pid, file, ROWS));
      const times = runs.map((run) => run.ms);
      const typical = median(times);
      const typicalRun = runs.find((run) => run.ms === typical) as (typeof runs)[number];
      const rate = Math.round(ROWS / (typical / 1000));
      const ratio = (baselines: number[]) =>
        `${(typical / median(baselines)).toFixed(1)}× (${typical <= 5 * median(baselines) ? 'met' : 'NOT met'})`;
      console.log(`roster import, ${ROWS} rows (${(bytes / 1e6).toFixed(1)} MB CSV), batch ${BATCH}`);
      console.log(
        `  S3 → committed rows : ${spread(times)} = ${rate} rows/s (target ≥ 25000: ${rate >= 25_000 ? 'met' : 'NOT met'}); ` +
          `then the screening of the imported people ${median(runs.map((run) => run.screeningMs)).toFixed(0)} ms`,
      );
      console.log(`  activities of the median run (ms, scheduled → completed): ${typicalRun.steps}`);
      console.log(`  psql \\copy baselines (same file, same run):`);
      console.log(`    bare 7-column table, no index            : ${spread(copies)}`);
      console.log(
        `    employees-shaped table, its ${indexes} indexes   : ${spread(shapedCopies)} (names left '', no FKs)`,
      );
      console.log(`  ratio import / \\copy, medians (target ≤ 5×):`);
      console.log(`    vs the bare table                        : ${ratio(copies)}`);
      console.log(`    vs the employees-shaped table            : ${ratio(shapedCopies)}`);
      console.log(
        `  worker (workers/main.ts) RSS: ${idleMb.toFixed(0)} MB idle after a warm-up import, ` +
          `${Math.max(...runs.map((run) => run.peakRssMb)).toFixed(0)} MB peak during the imports`,
      );
      if (RSS_ROWS > 0) {
        const big = path.join(workDir, `roster-${RSS_ROWS}.csv`);
        await writeRosterCsv(big, RSS_ROWS);
        const bigRun = await importFile(taskQueue, pid, big, RSS_ROWS);
        const hwm = memoryOf(pid).hwm;
        console.log(
          `  ${RSS_ROWS} rows        : ${bigRun.ms.toFixed(0)} ms = ${Math.round(RSS_ROWS / (bigRun.ms / 1000))} rows/s; ` +
            `screening ${(bigRun.screeningMs / 1000).toFixed(1)} s`,
        );
        console.log(
          `  worker RSS          : ${bigRun.peakRssMb.toFixed(0)} MB peak during it, VmHWM ${hwm.toFixed(0)} MB ` +
            `(target ≤ ${TARGET_RSS_MB} MB: ${hwm <= TARGET_RSS_MB ? 'met' : 'NOT met'})`,
        );
      }
    } finally {
      await worker.stop();
    }
  } finally {
    await stopTestStack();
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
