/**
 * Screening report benchmark (docs/spec.md §10, issue 24): an organization of 10k people over a
 * month with 5 runs and two list versions; the report as JSON, CSV and PDF, each downloaded by curl
 * (a child process, so the client's memory is not the server's) from the real route on loopback.
 *
 *   npx tsx bench/screening-report.ts [--people 10000] [--runs 3]
 *
 * Prints, per format, the best and worst time of `--runs` downloads and the server process's peak
 * RSS growth over its RSS before the download (sampled every 10 ms). Targets: each ≤ 3 s, growth
 * ≤ 50 MB while streaming.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { serve } from '@hono/node-server';
import pino from 'pino';
import { createRouter, provideDatabase } from '../api/env';
import { handleError } from '../api/problem';
import { screeningReportRoutes } from '../api/routes/screening-report/handlers';
import { migrateUp } from '../db/migrator';
import { createSequelize } from '../db/sequelize';
import { insertSession } from '../db/session-store';
import { execute, queryOne } from '../db/sql';
import { ensureMembership, insertUser } from '../db/user-store';
import { loadConfig } from '../lib/config';
import { createTemporalClient } from '../lib/temporal';
import { signAccessToken } from '../lib/tokens';
import { startEmbeddedPostgres } from '../scripts/stack/postgres';
import { freePort } from '../scripts/stack/processes';
import { sampleRss } from './support/process-memory';

const { values } = parseArgs({
  options: { people: { type: 'string', default: '10000' }, runs: { type: 'string', default: '3' } },
});
const PEOPLE = Number(values.people);
const RUNS = Number(values.runs);
const TARGET_MS = 3000;
const TARGET_GROWTH_MB = 50;

const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ale-bench-report-'));
fs.chmodSync(workDir, 0o755);
const postgres = await startEmbeddedPostgres({
  dataDir: path.join(workDir, 'pg'),
  port: await freePort(),
  database: 'ale_bench',
});
const config = loadConfig({ LOG_LEVEL: 'silent', DATABASE_URL: postgres.url });
const sequelize = createSequelize(config.DATABASE_URL, { poolMax: 10 });
await migrateUp(sequelize);
const temporal = createTemporalClient(config);

/** Downloads `url` with curl into /dev/null; the wall time in ms and the bytes received. */
function download(url: string, token: string): Promise<{ ms: number; bytes: number; status: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn('curl', [
      '-s',
      '-o',
      '/dev/null',
      '-H',
      `Authorization: Bearer ${token}`,
      '-w',
      '%{http_code} %{size_download} %{time_total}',
      url,
    ]);
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.on('error', reject);
    child.on('close', () => {
      const [status, bytes, seconds] = out.trim().split(' ').map(Number);
      resolve({ status: status ?? 0, bytes: bytes ?? 0, ms: (seconds ?? 0) * 1000 });
    });
  });
}

try {
  const org = await queryOne<{ id: string }>(
    sequelize,
    `INSERT INTO organizations (name, subdomain, status, created_at)
     VALUES ('Bench Home Care', 'bench-report', 'active', now() - interval '1 year') RETURNING id`,
  );
  const orgId = org?.id as string;
  const now = new Date();
  const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  await execute(
    sequelize,
    `INSERT INTO employees (organization_id, kind, external_id, first_name, last_name, date_of_birth, status,
       first_name_norm, last_name_norm, created_at)
     SELECT $orgId, CASE WHEN i % 4 = 0 THEN 'caregiver' ELSE 'employee' END, 'E' || lpad(i::text, 6, '0'),
       'First' || i, 'Last' || i, DATE '1970-01-01' + (i % 15000), CASE WHEN i % 20 = 0 THEN 'inactive' ELSE 'active' END,
       'FIRST' || i, 'LAST' || i, now() - interval '200 days'
     FROM generate_series(1, $people::int) i`,
    { orgId, people: PEOPLE },
  );
  // All but one in fifty were screened.
  await execute(
    sequelize,
    `INSERT INTO employee_last_screened (employee_id, screened_at)
     SELECT id, now() FROM employees WHERE organization_id = $orgId AND right(external_id, 2)::int % 50 <> 0`,
    { orgId },
  );
  // One in a hundred people has a match: open, confirmed or dismissed.
  await execute(
    sequelize,
    `INSERT INTO exclusion_matches (organization_id, employee_id, exclusion_key, reason, score, status)
     SELECT organization_id, id, 'bench/' || external_id, 'name_dob', 0.95,
       (ARRAY['open','confirmed','dismissed'])[1 + (row_number() OVER (ORDER BY id))::int % 3]
     FROM employees WHERE organization_id = $orgId AND external_id LIKE '%00'`,
    { orgId },
  );
  for (const [index, day] of [1, 12].entries()) {
    const at = new Date(monthStart.getTime() + (day - 1) * 86_400_000 + 6 * 3_600_000);
    await execute(
      sequelize,
      `INSERT INTO oig_exclusions_check (checked_at, trigger, status, source_updated_on, row_count, sha256, workflow_id)
       VALUES ($at, 'schedule', 'imported', $day::date, $rowCount, $sha256, 'oig-sync/bench')`,
      { at, day: at.toISOString().slice(0, 10), rowCount: 81234 + index, sha256: `${index}`.repeat(64) },
    );
  }
  for (let run = 0; run < 5; run += 1) {
    await execute(
      sequelize,
      `INSERT INTO screening_runs (organization_id, trigger, status, people_screened, matches_opened, matches_resolved,
         workflow_id, workflow_run_id, started_at, finished_at)
       VALUES ($orgId, 'manual', 'succeeded', $people, 1, 0, 'bench', $runId, $at, $at)`,
      { orgId, people: PEOPLE, runId: `run-${run}`, at: new Date(monthStart.getTime() + run * 3_600_000) },
    );
  }
  await execute(sequelize, 'VACUUM ANALYZE employees');
  await execute(sequelize, 'VACUUM ANALYZE exclusion_matches');

  const user = await insertUser(sequelize, { email: 'bench@example.test', name: '', password_hash: 'x' });
  await ensureMembership(sequelize, { organization_id: orgId, user_id: user.id, role: 'admin' });
  const token = await signAccessToken(
    { userId: user.id, sessionId: await insertSession(sequelize, user.id, 'password') },
    { secret: config.AUTH_JWT_SECRET, expiresInSeconds: 3600 },
  );
  const deps = { config, sequelize, temporal, logger: pino({ level: 'silent' }) };
  const app = createRouter();
  app.use('*', provideDatabase(sequelize));
  app.route('/', screeningReportRoutes(deps));
  app.onError(handleError);
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((resolve) => server.once('listening', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/organizations/${orgId}/screening-report`;
  console.log(`${PEOPLE} people, 5 runs, 2 list versions; ${RUNS} downloads per format`);

  let allMet = true;
  for (const suffix of ['', '.csv', '.pdf']) {
    // A first download warms the route (module loading, font metrics, prepared plans).
    await download(`${base}${suffix}`, token);
    const times: number[] = [];
    let growth = 0;
    let bytes = 0;
    for (let run = 0; run < RUNS; run += 1) {
      global.gc?.();
      const before = process.memoryUsage().rss / 1024 / 1024;
      const rss = sampleRss(process.pid);
      const result = await download(`${base}${suffix}`, token);
      const peak = rss.stop();
      if (result.status !== 200) throw new Error(`${suffix || '.json'}: HTTP ${result.status}`);
      times.push(result.ms);
      bytes = result.bytes;
      growth = Math.max(growth, peak - before);
    }
    const worst = Math.max(...times);
    const met = worst <= TARGET_MS && growth <= TARGET_GROWTH_MB;
    allMet &&= met;
    console.log(
      `report${suffix || '.json'}: ${(bytes / 1024).toFixed(0)} KB in ${Math.min(...times).toFixed(0)}–${worst.toFixed(0)} ms, ` +
        `server RSS growth ≤ ${growth.toFixed(1)} MB; targets ≤ ${TARGET_MS} ms, ≤ ${TARGET_GROWTH_MB} MB: ${met ? 'met' : 'MISSED'}`,
    );
  }
  server.close();
  if (!allMet) process.exitCode = 1;
} finally {
  await sequelize.close();
  await temporal.connection.close().catch(() => {});
  await postgres.stop();
  fs.rmSync(workDir, { recursive: true, force: true });
}
