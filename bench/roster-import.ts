/**
 * Roster import benchmark (SPEC §4.2): a generated employee CSV end to end — S3 object (moto) →
 * streamed parse → validated → committed rows — through the real import activities, against
 * `psql \copy` of the same file into a table of the same shape, in the same run.
 *
 *   npx tsx bench/roster-import.ts [--rows 100000] [--batch 2000] [--rss-rows 0]
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
    batch: { type: 'string', default: '2000' },
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

function psqlCopy(file: string, db: Sequelize) {
  return async () => {
    await db.query(
      'DROP TABLE IF EXISTS bench_copy; CREATE TABLE bench_copy (external_id text, first_name text, last_name text, dob date, npi text, email text, title text)',
    );
    const started = process.hrtime.bigint();
    const result = spawnSync(
      PSQL,
      [
        postgres.url,
        '-v',
        'ON_ERROR_STOP=1',
        '-c',
        `\\copy bench_copy FROM '${file}' WITH (FORMAT csv, HEADER true)`,
      ],
      {
        encoding: 'utf8',
      },
    );
    const elapsed = ms(started);
    if (result.status !== 0) throw new Error(`psql failed: ${result.stderr}`);
    return elapsed;
  };
}

try {
  const file = path.join(workDir, `roster-${ROWS}.csv`);
  const bytes = await writeRosterCsv(file, ROWS);
  const copyMs = await psqlCopy(file, sequelize)();
  const importMs = await importFile(file, ROWS);
  const rate = Math.round(ROWS / (importMs / 1000));
  console.log(`roster import, ${ROWS} rows (${(bytes / 1e6).toFixed(1)} MB CSV), batch ${BATCH}`);
  console.log(`  S3 → committed rows : ${importMs.toFixed(0)} ms = ${rate} rows/s (target ≥ 25000)`);
  console.log(`  psql \\copy baseline : ${copyMs.toFixed(0)} ms`);
  console.log(`  ratio import/\\copy  : ${(importMs / copyMs).toFixed(1)}× (target ≤ 5×)`);
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
