/**
 * Roster import benchmark (SPEC §4.2): a generated employee CSV end to end — S3 object (moto) →
 * streamed parse → validated → committed rows — through the real import activities, against two
 * `psql \copy` baselines of the same file in the same run: into a bare table of the CSV's columns, and
 * into a table of the employees table's shape (its columns, defaults, checks and indexes).
 *
 *   npx tsx bench/roster-import.ts [--rows 100000] [--batch 1000] [--rss-rows 0]
 *
 * `--rss-rows 1000000` also imports a million-row file and reports this process's peak RSS
 * (the process that runs the activity: what a worker would hold).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Upload } from '@aws-sdk/lib-storage';
import { MockActivityEnvironment } from '@temporalio/testing';
import pino from 'pino';
import { QueryTypes, type Sequelize } from 'sequelize';
import type { ActivityDeps } from '../activities/deps';
import { createRosterActivities, type RosterImportSummary } from '../activities/rosters';
import { migrateUp } from '../db/migrator';
import { initModels } from '../db/models';
import { createSequelize } from '../db/sequelize';
import { createS3Client } from '../lib/aws';
import { loadConfig } from '../lib/config';
import { writeRosterCsv } from '../scripts/generate-roster';
import { ensureAwsResources } from '../scripts/stack/aws-resources';
import { startMoto } from '../scripts/stack/moto';
import { startEmbeddedPostgres } from '../scripts/stack/postgres';
import { freePort } from '../scripts/stack/processes';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '100000' },
    batch: { type: 'string', default: '1000' },
    'rss-rows': { type: 'string', default: '0' },
  },
});
const ROWS = Number(values.rows);
const BATCH = Number(values.batch);
const RSS_ROWS = Number(values['rss-rows']);
const PSQL = process.env.PSQL ?? '/usr/bin/psql';
const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;
const mb = (kb: number) => Math.round(kb / 1024);

const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ale-bench-import-'));
fs.chmodSync(workDir, 0o755);
const [pgPort, motoPort] = await Promise.all([freePort(), freePort()]);
const [postgres, moto] = await Promise.all([
  startEmbeddedPostgres({ dataDir: path.join(workDir, 'pg'), port: pgPort, database: 'ale_bench' }),
  startMoto({ port: motoPort, logFile: path.join(workDir, 'moto.log') }),
]);
const config = loadConfig({
  LOG_LEVEL: 'silent',
  DATABASE_URL: postgres.url,
  AWS_ENDPOINT_URL: `http://127.0.0.1:${motoPort}`,
});
await ensureAwsResources(config);
const sequelize = createSequelize(config.DATABASE_URL);
initModels(sequelize);
await migrateUp(sequelize);
const s3 = createS3Client(config);
const activities = createRosterActivities({
  config,
  sequelize,
  s3,
  logger: pino({ level: 'silent' }),
} as unknown as ActivityDeps);

async function importFile(file: string, rows: number) {
  const [org] = await sequelize.query<{ id: string }>(
    `INSERT INTO organizations (name, subdomain, status) VALUES ('Bench', 'bench-' || substr(md5(random()::text), 1, 8), 'active') RETURNING id`,
    { type: QueryTypes.SELECT },
  );
  const key = `imports/${org?.id}/bench-${rows}.csv`;
  await new Upload({
    client: s3,
    params: { Bucket: config.AWS_S3_BUCKET_NAME, Key: key, Body: fs.createReadStream(file) },
  }).done();
  const [imp] = await sequelize.query<{ id: string }>(
    `INSERT INTO roster_imports (organization_id, kind, source_bucket, source_key, format, mode)
     VALUES ($1, 'employees', $2, $3, 'csv', 'replace') RETURNING id`,
    { bind: [org?.id, config.AWS_S3_BUCKET_NAME, key], type: QueryTypes.SELECT },
  );
  const importId = imp?.id as string;
  const env = new MockActivityEnvironment();
  const started = process.hrtime.bigint();
  await env.run(activities.prepareRosterImport, importId);
  const read = (await env.run(activities.importRosterRows, importId, {
    batchSize: BATCH,
    today: '2026-11-23',
  })) as { rowsProcessed: number };
  const summary = (await env.run(activities.finishRosterImport, importId)) as RosterImportSummary;
  const elapsed = ms(started);
  if (summary.counts.inserted !== rows || read.rowsProcessed !== rows) {
    throw new Error(`expected ${rows} inserted rows, got ${JSON.stringify(summary.counts)}`);
  }
  return elapsed;
}

/** Runs `psql \\copy` of the roster file into `table` (the CSV's columns, in order) and times it. */
function psqlCopy(file: string, table: string, columns = '') {
  const started = process.hrtime.bigint();
  const result = spawnSync(
    PSQL,
    [
      postgres.url,
      '-v',
      'ON_ERROR_STOP=1',
      '-c',
      `\\copy ${table}${columns} FROM '${file}' WITH (FORMAT csv, HEADER true)`,
    ],
    { encoding: 'utf8' },
  );
  const elapsed = ms(started);
  if (result.status !== 0) throw new Error(`psql failed: ${result.stderr}`);
  return elapsed;
}

/** Baseline 1: a bare table of the CSV's seven text/date columns, no index. */
async function copyIntoBareTable(file: string, db: Sequelize) {
  await db.query(
    'DROP TABLE IF EXISTS bench_copy; CREATE TABLE bench_copy (external_id text, first_name text, last_name text, dob date, npi text, email text, title text)',
  );
  await db.query('CHECKPOINT');
  return psqlCopy(file, 'bench_copy');
}

/**
 * Baseline 2: a table of the import's destination's shape — employees' columns, defaults, checks and
 * all its indexes (unique keys, trigram and name-key GINs, b-trees) — filled with the CSV's columns.
 * The NOT NULL columns the file lacks get defaults: one organization, kind 'employee', and '' for the
 * three normalized names (so the name indexes hold empty values: this baseline does less work than an
 * import, which normalizes every name and indexes the results; it has no foreign keys either).
 */
async function copyIntoShapedTable(file: string, db: Sequelize) {
  await db.query(`DROP TABLE IF EXISTS bench_copy_shaped;
    CREATE TABLE bench_copy_shaped (LIKE employees INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES);
    ALTER TABLE bench_copy_shaped ALTER organization_id SET DEFAULT '00000000-0000-4000-8000-000000000001',
      ALTER kind SET DEFAULT 'employee', ALTER first_name_norm SET DEFAULT '',
      ALTER last_name_norm SET DEFAULT '', ALTER full_name_norm SET DEFAULT ''`);
  const [{ indexes } = { indexes: 0 }] = await db.query<{ indexes: number }>(
    "SELECT count(*)::int AS indexes FROM pg_indexes WHERE tablename = 'bench_copy_shaped'",
    { type: QueryTypes.SELECT },
  );
  await db.query('CHECKPOINT');
  const elapsed = psqlCopy(
    file,
    'bench_copy_shaped',
    ' (external_id, first_name, last_name, date_of_birth, npi, email, title)',
  );
  return { elapsed, indexes };
}

try {
  const file = path.join(workDir, `roster-${ROWS}.csv`);
  const bytes = await writeRosterCsv(file, ROWS);
  const copyMs = await copyIntoBareTable(file, sequelize);
  const shaped = await copyIntoShapedTable(file, sequelize);
  await sequelize.query('DROP TABLE bench_copy, bench_copy_shaped; CHECKPOINT');
  const importMs = await importFile(file, ROWS);
  const rate = Math.round(ROWS / (importMs / 1000));
  const ratio = (baseline: number) =>
    `${(importMs / baseline).toFixed(1)}× (${importMs <= 5 * baseline ? 'met' : 'NOT met'})`;
  console.log(`roster import, ${ROWS} rows (${(bytes / 1e6).toFixed(1)} MB CSV), batch ${BATCH}`);
  console.log(
    `  S3 → committed rows : ${importMs.toFixed(0)} ms = ${rate} rows/s (target ≥ 25000: ${rate >= 25_000 ? 'met' : 'NOT met'})`,
  );
  console.log(`  psql \\copy baselines (same file, same run):`);
  console.log(`    bare 7-column table, no index            : ${copyMs.toFixed(0)} ms`);
  console.log(
    `    employees-shaped table, its ${shaped.indexes} indexes   : ${shaped.elapsed.toFixed(0)} ms (names left '', no FKs)`,
  );
  console.log(`  ratio import / \\copy (target ≤ 5×):`);
  console.log(`    vs the bare table                        : ${ratio(copyMs)}`);
  console.log(`    vs the employees-shaped table            : ${ratio(shaped.elapsed)}`);
  if (RSS_ROWS > 0) {
    const big = path.join(workDir, `roster-${RSS_ROWS}.csv`);
    await writeRosterCsv(big, RSS_ROWS);
    const before = process.resourceUsage().maxRSS;
    const bigMs = await importFile(big, RSS_ROWS);
    const peak = process.resourceUsage().maxRSS;
    console.log(
      `  ${RSS_ROWS} rows        : ${bigMs.toFixed(0)} ms = ${Math.round(RSS_ROWS / (bigMs / 1000))} rows/s`,
    );
    console.log(
      `  peak RSS            : ${mb(peak)} MB (before the 1M import: ${mb(before)} MB; target ≤ 400 MB)`,
    );
  }
} finally {
  s3.destroy();
  await sequelize.close();
  await moto.stop();
  await postgres.stop();
  fs.rmSync(workDir, { recursive: true, force: true });
}
