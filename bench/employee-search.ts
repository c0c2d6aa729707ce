/**
 * Employee search benchmark (SPEC §5 GET …/employees): 1M employees in one organization (plus a
 * second organization of 100k), the real Hono app on loopback, autocannon with 10 connections.
 *
 *   npx tsx bench/employee-search.ts [--employees 1000000] [--seconds 10]
 *
 * Prints p50/p95/p99 per query shape, EXPLAIN ANALYZE of the name search, and the ratio of each
 * p95 to the p95 of GET /health on the same server (the framework's floor), measured in the same run.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { serve } from '@hono/node-server';
import pino from 'pino';
import { QueryTypes } from 'sequelize';
import { createRouter } from '../api/env';
import { handleError } from '../api/problem';
import { employeeRoutes, searchEmployeesSql } from '../api/routes/employees';
import { healthRoutes } from '../api/routes/health';
import { migrateUp } from '../db/migrator';
import { initModels, Membership, User } from '../db/models';
import { createSequelize } from '../db/sequelize';
import { loadConfig } from '../lib/config';
import { createTemporalClient } from '../lib/temporal';
import { signAccessToken } from '../lib/tokens';
import { startEmbeddedPostgres } from '../scripts/stack/postgres';
import { freePort } from '../scripts/stack/processes';

const { values } = parseArgs({
  options: { employees: { type: 'string', default: '1000000' }, seconds: { type: 'string', default: '10' } },
});
const EMPLOYEES = Number(values.employees);
const SECONDS = Number(values.seconds);
const TARGET_P95_MS = 20;
// autocannon ships no type declarations.
const autocannon = createRequire(import.meta.url)('autocannon') as (options: object) => Promise<{
  requests: { total: number };
}> & {
  on(
    event: 'response',
    listener: (client: unknown, status: number, bytes: number, time: number) => void,
  ): void;
};

const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ale-bench-search-'));
fs.chmodSync(workDir, 0o755);
const postgres = await startEmbeddedPostgres({
  dataDir: path.join(workDir, 'pg'),
  port: await freePort(),
  database: 'ale_bench',
});
const config = loadConfig({ LOG_LEVEL: 'silent', DATABASE_URL: postgres.url });
const sequelize = createSequelize(config.DATABASE_URL, { poolMax: 10 });
initModels(sequelize);
await migrateUp(sequelize);
const temporal = createTemporalClient(config);

const FIRST = "ARRAY['Ann','Bob','Carmen','Dmitri','Eve','José','Li','María','Noah','Olu','Priya','Zoë']";
const LAST =
  "ARRAY['Smith','O''Brien','Nguyen','García','Smith-Jones','Kowalski','Okafor','Lee','Brown','Patel']";

async function seed(organizationId: string, count: number) {
  const started = performance.now();
  await sequelize.query(
    `INSERT INTO employees (organization_id, kind, external_id, first_name, last_name, email, npi, status,
       first_name_norm, last_name_norm, full_name_norm)
     SELECT $1, CASE WHEN i % 4 = 0 THEN 'caregiver' ELSE 'employee' END, 'E' || i, f, l, 'e' || i || '@example.test',
       NULL, CASE WHEN i % 10 = 0 THEN 'inactive' ELSE 'active' END,
       ale_normalize_name(f), ale_normalize_name(l), ale_normalize_name(f || ' ' || l)
     FROM (SELECT i, (${FIRST})[1 + i % 12] || (i % 997) AS f, (${LAST})[1 + (i * 7) % 10] || (i % 1009) AS l
           FROM generate_series(1, $2::int) i) s`,
    { bind: [organizationId, count] },
  );
  return performance.now() - started;
}

function percentile(sorted: number[], p: number) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function load(url: string, token: string) {
  const latencies: number[] = [];
  const instance = autocannon({
    url,
    connections: 10,
    duration: SECONDS,
    headers: { authorization: `Bearer ${token}` },
  });
  instance.on('response', (_client: unknown, status: number, _bytes: number, time: number) => {
    if (status !== 200) throw new Error(`${url} answered ${status}`);
    latencies.push(time);
  });
  const result = await instance;
  latencies.sort((a, b) => a - b);
  return {
    requests: result.requests.total,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
  };
}

try {
  const [orgRows, otherRows] = await Promise.all(
    ['bench-a', 'bench-b'].map((subdomain) =>
      sequelize.query<{ id: string }>(
        `INSERT INTO organizations (name, subdomain, status) VALUES ('Bench', $1, 'active') RETURNING id`,
        { bind: [subdomain], type: QueryTypes.SELECT },
      ),
    ),
  );
  const orgId = orgRows?.[0]?.id as string;
  const seedMs = await seed(orgId, EMPLOYEES);
  await seed(otherRows?.[0]?.id as string, Math.round(EMPLOYEES / 10));
  await sequelize.query('VACUUM ANALYZE employees');
  console.log(`seeded ${EMPLOYEES} employees in ${(seedMs / 1000).toFixed(1)} s`);

  const user = await User.create({ email: 'bench@example.test', passwordHash: 'x' });
  await Membership.create({ organizationId: orgId, userId: user.id, role: 'member' });
  const token = await signAccessToken(
    { userId: user.id },
    { secret: config.AUTH_JWT_SECRET, expiresInSeconds: 3600 },
  );
  // Only the routes measured (and /health as the floor), without the app's other middleware.
  const deps = { config, sequelize, temporal, logger: pino({ level: 'silent' }) };
  const app = createRouter();
  app.route('/', healthRoutes(deps));
  app.route('/', employeeRoutes(deps));
  app.onError(handleError);
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((resolve) => server.once('listening', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const list = `${base}/v1/organizations/${orgId}/employees`;

  const [plan] = await sequelize
    .query<Record<string, unknown>>(
      `EXPLAIN (ANALYZE, BUFFERS, FORMAT TEXT) ${searchEmployeesSql({ q: 'x' })}`,
      { bind: { org: orgId, q: 'smith123', limit: 51 }, type: QueryTypes.SELECT, plain: false, raw: true },
    )
    .then((rows) => [rows.map((r) => Object.values(r)[0]).join('\n')]);
  console.log(`EXPLAIN ANALYZE, q=smith123:\n${plan}\n`);

  const health = await load(`${base}/health`, token);
  console.log(
    `GET /health (baseline): p50 ${health.p50} ms, p95 ${health.p95} ms, ${health.requests} requests`,
  );
  const shapes: [string, string][] = [
    ['q=name (trigram, ~1k hits)', `${list}?q=smith123`],
    ['q=rare name', `${list}?q=zoe996%20patel1008`],
    ['q=externalId (exact)', `${list}?q=E777777`],
    ['q=email (exact)', `${list}?q=e4242@example.test`],
    ['first page, kind+status', `${list}?kind=caregiver&status=active`],
  ];
  for (const [name, url] of shapes) {
    const r = await load(url, token);
    const verdict = r.p95 <= TARGET_P95_MS ? 'ok' : 'OVER TARGET';
    console.log(
      `${name.padEnd(28)} p50 ${r.p50} ms  p95 ${r.p95} ms  p99 ${r.p99} ms  (${r.requests} req; ` +
        `p95 ${(r.p95 / Math.max(health.p95, 1)).toFixed(1)}× /health; target ≤ ${TARGET_P95_MS} ms: ${verdict})`,
    );
  }
  server.close();
} finally {
  await temporal.connection.close().catch(() => undefined);
  await sequelize.close();
  await postgres.stop();
  fs.rmSync(workDir, { recursive: true, force: true });
}
