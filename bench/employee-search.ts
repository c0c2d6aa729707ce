/**
 * Employee search benchmark (docs/spec.md §5 GET …/employees): 1M employees in one organization (plus a
 * second organization of 100k), the real Hono app on loopback, autocannon with 10 connections.
 *
 *   npx tsx bench/employee-search.ts [--employees 1000000] [--seconds 10]
 *
 * Prints p50/p95/p99 per query shape, EXPLAIN ANALYZE of the name search (with the trigram pieces it
 * asks the index for), and the ratio of each p95 to the p95 of GET /health on the same server (the
 * framework's floor), measured in the same run. autocannon runs in a child process
 * (bench/support/load-client.ts), not in the server's: in one process the load generator and the
 * server share one event loop, and the latencies measured the client's queueing as much as the
 * server. Each shape also prints the CPU it cost per request in the server process and in Postgres
 * (all its processes, from /proc), the figures that other work on the machine does not inflate.
 */
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { serve } from '@hono/node-server';
import pino from 'pino';
import { createRouter, provideDatabase } from '../api/env';
import { handleError } from '../api/problem';
import { employeeRoutes } from '../api/routes/employees/handlers';
import { healthRoutes } from '../api/routes/health/handlers';
import { migrateUp } from '../db/migrator';
import { nameSearchSample, searchEmployeesSql } from '../db/people-store';
import { createSequelize } from '../db/sequelize';
import { insertSession } from '../db/session-store';
import { execute, query, queryOne } from '../db/sql';
import { ensureMembership, insertUser } from '../db/user-store';
import { loadConfig } from '../lib/config';
import { createTemporalClient } from '../lib/temporal';
import { signAccessToken } from '../lib/tokens';
import { startEmbeddedPostgres } from '../scripts/stack/postgres';
import { freePort } from '../scripts/stack/processes';
import { runLoadClient } from './support/load-client';
import { postgresCpuSeconds } from './support/postgres-cpu';

const { values } = parseArgs({
  options: { employees: { type: 'string', default: '1000000' }, seconds: { type: 'string', default: '10' } },
});
const EMPLOYEES = Number(values.employees);
const SECONDS = Number(values.seconds);
const TARGET_P95_MS = 20;
const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ale-bench-search-'));
fs.chmodSync(workDir, 0o755);
const pgDataDir = path.join(workDir, 'pg');
const postgres = await startEmbeddedPostgres({
  dataDir: pgDataDir,
  port: await freePort(),
  database: 'ale_bench',
});
const config = loadConfig({ LOG_LEVEL: 'silent', DATABASE_URL: postgres.url });
const sequelize = createSequelize(config.DATABASE_URL, { poolMax: 10 });
await migrateUp(sequelize);
const temporal = createTemporalClient(config);

const FIRST = "ARRAY['Ann','Bob','Carmen','Dmitri','Eve','José','Li','María','Noah','Olu','Priya','Zoë']";
const LAST =
  "ARRAY['Smith','O''Brien','Nguyen','García','Smith-Jones','Kowalski','Okafor','Lee','Brown','Patel']";

async function seed(organizationId: string, count: number) {
  const started = performance.now();
  await execute(
    sequelize,
    `INSERT INTO employees (organization_id, kind, external_id, first_name, last_name, email, npi, status,
       first_name_norm, last_name_norm)
     SELECT $organizationId, CASE WHEN i % 4 = 0 THEN 'caregiver' ELSE 'employee' END, 'E' || i, f, l, 'e' || i || '@example.test',
       NULL, CASE WHEN i % 10 = 0 THEN 'inactive' ELSE 'active' END,
       ale_normalize_name(f), ale_normalize_name(l)
     FROM (SELECT i, (${FIRST})[1 + i % 12] || (i % 997) AS f, (${LAST})[1 + (i * 7) % 10] || (i % 1009) AS l
           FROM generate_series(1, $count::int) i) s`,
    { organizationId, count },
  );
  return performance.now() - started;
}

async function load(url: string, token: string) {
  const pgBefore = postgresCpuSeconds(pgDataDir);
  const cpuBefore = process.cpuUsage();
  const result = await runLoadClient({
    url,
    connections: 10,
    seconds: SECONDS,
    headers: { authorization: `Bearer ${token}` },
  });
  const cpu = process.cpuUsage(cpuBefore);
  const pgSeconds = postgresCpuSeconds(pgDataDir) - pgBefore;
  return {
    ...result,
    serverCpuMs: (cpu.user + cpu.system) / 1000 / result.requests,
    postgresCpuMs: (pgSeconds * 1000) / result.requests,
  };
}

const cpu = (r: { serverCpuMs: number; postgresCpuMs: number }) =>
  `${r.serverCpuMs.toFixed(2)} ms server + ${r.postgresCpuMs.toFixed(2)} ms Postgres a request`;

try {
  const [org, other] = await Promise.all(
    ['bench-a', 'bench-b'].map((subdomain) =>
      queryOne<{ id: string }>(
        sequelize,
        `INSERT INTO organizations (name, subdomain, status) VALUES ('Bench', $subdomain, 'active') RETURNING id`,
        { subdomain },
      ),
    ),
  );
  const orgId = org?.id as string;
  const seedMs = await seed(orgId, EMPLOYEES);
  await seed(other?.id as string, Math.round(EMPLOYEES / 10));
  await execute(sequelize, 'VACUUM ANALYZE employees');
  console.log(`seeded ${EMPLOYEES} employees in ${(seedMs / 1000).toFixed(1)} s`);

  const user = await insertUser(sequelize, { email: 'bench@example.test', name: '', password_hash: 'x' });
  await ensureMembership(sequelize, { organization_id: orgId, user_id: user.id, role: 'member' });
  const token = await signAccessToken(
    { userId: user.id, sessionId: await insertSession(sequelize, user.id, 'password') },
    { secret: config.AUTH_JWT_SECRET, expiresInSeconds: 3600 },
  );
  // Only the routes measured (and /health as the floor), without the app's other middleware.
  const deps = { config, sequelize, temporal, logger: pino({ level: 'silent' }) };
  const app = createRouter();
  app.use('*', provideDatabase(sequelize));
  app.route('/', healthRoutes(deps));
  app.route('/', employeeRoutes(deps));
  app.onError(handleError);
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((resolve) => server.once('listening', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const list = `${base}/v1/organizations/${orgId}/employees`;

  const sample = await nameSearchSample(sequelize, 'employees');
  const plan = (
    await query<Record<string, unknown>>(
      sequelize,
      `EXPLAIN (ANALYZE, BUFFERS, FORMAT TEXT) ${searchEmployeesSql({ q: 'x' })}`,
      { org: orgId, q: 'smith123', sample, limit: 51 },
    )
  )
    .map((r) => Object.values(r)[0])
    .join('\n');
  /** The trigram pieces the name search asks the index for, for `q`. */
  const piecesOf = async (q: string) => {
    const row = await queryOne<{ patterns: string[] }>(
      sequelize,
      'SELECT ale_name_search_patterns(ale_normalize_name($q), $sample) AS patterns',
      { q, sample },
    );
    return row?.patterns.join(' ');
  };
  console.log(`EXPLAIN ANALYZE, q=smith123 (index asked for ${await piecesOf('smith123')}):\n${plan}\n`);

  const health = await load(`${base}/health`, token);
  console.log(
    `GET /health (baseline): p50 ${health.p50} ms, p95 ${health.p95} ms, ${health.requests} requests; ` +
      `CPU ${cpu(health)}`,
  );
  const shapes: [string, string][] = [
    ['q=name (trigram, ~100 hits)', `${list}?q=smith123`],
    ['q=rare name', `${list}?q=zoe996%20patel1008`],
    ['q=externalId (exact)', `${list}?q=E777777`],
    ['q=email (exact)', `${list}?q=e4242@example.test`],
    ['first page, kind+status', `${list}?kind=caregiver&status=active`],
  ];
  for (const [name, url] of shapes) {
    const q = new URL(url).searchParams.get('q');
    const pieces = q ? await piecesOf(q) : undefined;
    const r = await load(url, token);
    const verdict = r.p95 <= TARGET_P95_MS ? 'ok' : 'OVER TARGET';
    console.log(
      `${name.padEnd(28)} p50 ${r.p50} ms  p95 ${r.p95} ms  p99 ${r.p99} ms  (${r.requests} req; ` +
        `p95 ${(r.p95 / Math.max(health.p95, 1)).toFixed(1)}× /health; target ≤ ${TARGET_P95_MS} ms: ${verdict}); ` +
        `CPU ${cpu(r)}${pieces ? `; index asked for ${pieces}` : ''}`,
    );
  }
  server.close();
} finally {
  await temporal.connection.close().catch(() => undefined);
  await sequelize.close();
  await postgres.stop();
  fs.rmSync(workDir, { recursive: true, force: true });
}
