/**
 * Sessions and rate limits (docs/spec.md §11), on employee search at 1M rows:
 *
 *   npx tsx bench/sessions.ts [--employees 1000000] [--seconds 10] [--rounds 2]
 *
 * 1. p95 of `GET …/employees?q=smith123` (10 connections, autocannon in its own process) through
 *    the real routes with the shared Postgres rate limiter on, against the same routes without it,
 *    on one server process each, rounds interleaved (off, on, off, on…) so that other work on the
 *    machine falls on both alike. The session check cannot be switched off (it is part of the
 *    authorization statement), so:
 * 2. that statement with its sessions join against the same statement without it (the authorization
 *    read before issue 26), prepared, one connection, alternating, per call.
 * 3. Login throughput at the new scrypt cost (N=2^17, r=8, p=1): password verifications a second
 *    with 1, 2 and 4 at a time (libuv runs 4 threads; this machine's cores bound it).
 */
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { serve } from '@hono/node-server';
import pino from 'pino';
import { createRouter, provideDatabase } from '../api/env';
import { requestRateLimit } from '../api/middleware/rate-limit';
import { handleError } from '../api/problem';
import { employeeRoutes } from '../api/routes/employees/handlers';
import { migrateUp } from '../db/migrator';
import { createSequelize } from '../db/sequelize';
import { insertSession } from '../db/session-store';
import { execute, queryOne, withClient } from '../db/sql';
import { ensureMembership, insertUser } from '../db/user-store';
import { loadConfig } from '../lib/config';
import { hashPassword, verifyPassword } from '../lib/passwords';
import { createTemporalClient } from '../lib/temporal';
import { signAccessToken } from '../lib/tokens';
import { startEmbeddedPostgres } from '../scripts/stack/postgres';
import { freePort } from '../scripts/stack/processes';
import { runLoadClient } from './support/load-client';
import { postgresCpuSeconds } from './support/postgres-cpu';

const { values } = parseArgs({
  options: {
    employees: { type: 'string', default: '1000000' },
    seconds: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '2' },
  },
});
const EMPLOYEES = Number(values.employees);
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);
const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ale-bench-sessions-'));
fs.chmodSync(workDir, 0o755);
const pgDataDir = path.join(workDir, 'pg');
const postgres = await startEmbeddedPostgres({
  dataDir: pgDataDir,
  port: await freePort(),
  database: 'ale_bench',
});
// Limits the load cannot reach: the limiter's cost is measured, not its 429s.
const config = loadConfig({
  LOG_LEVEL: 'silent',
  DATABASE_URL: postgres.url,
  RATE_LIMIT_USER_PER_MINUTE: '100000000',
  RATE_LIMIT_ANON_PER_MINUTE: '100000000',
});
const sequelize = createSequelize(config.DATABASE_URL, { poolMax: 10 });
await migrateUp(sequelize);
const temporal = createTemporalClient(config);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

async function server(withRateLimit: boolean) {
  const deps = { config, sequelize, temporal, logger: pino({ level: 'silent' }) };
  const app = createRouter();
  app.use('*', provideDatabase(sequelize));
  if (withRateLimit) app.use('/v1/*', requestRateLimit(sequelize, config));
  app.route('/', employeeRoutes(deps));
  app.onError(handleError);
  const listening = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((resolve) => listening.once('listening', resolve));
  return { listening, base: `http://127.0.0.1:${(listening.address() as AddressInfo).port}` };
}

try {
  const org = await queryOne<{ id: string }>(
    sequelize,
    `INSERT INTO organizations (name, subdomain, status) VALUES ('Bench', 'bench-sessions', 'active') RETURNING id`,
  );
  const orgId = org?.id as string;
  const seeded = performance.now();
  await execute(
    sequelize,
    `INSERT INTO employees (organization_id, kind, external_id, first_name, last_name, status,
       first_name_norm, last_name_norm)
     SELECT $orgId, 'employee', 'E' || i, f, l, 'active', ale_normalize_name(f), ale_normalize_name(l)
     FROM (SELECT i, (ARRAY['Ann','Bob','Carmen','Eve','Li','Noah'])[1 + i % 6] || (i % 997) AS f,
                  (ARRAY['Smith','Nguyen','Garcia','Lee','Brown','Patel'])[1 + (i * 7) % 6] || (i % 1009) AS l
           FROM generate_series(1, $n::int) i) s`,
    { orgId, n: EMPLOYEES },
  );
  await execute(sequelize, 'VACUUM ANALYZE employees');
  console.log(`seeded ${EMPLOYEES} employees in ${((performance.now() - seeded) / 1000).toFixed(1)} s`);

  const user = await insertUser(sequelize, { email: 'bench@example.test', name: '', password_hash: 'x' });
  await ensureMembership(sequelize, { organization_id: orgId, user_id: user.id, role: 'member' });
  const sessionId = await insertSession(sequelize, user.id, 'password');
  // Many sessions of other users, so the sessions lookup is not on a one-row table.
  await execute(
    sequelize,
    `WITH u AS (INSERT INTO users (email, password_hash)
                SELECT 'u' || g || '@example.test', 'x' FROM generate_series(1, 20000) g RETURNING id)
     INSERT INTO sessions (user_id, method) SELECT id, 'password' FROM u, generate_series(1, 5)`,
  );
  await execute(sequelize, 'ANALYZE sessions');
  const token = await signAccessToken(
    { userId: user.id, sessionId },
    { secret: config.AUTH_JWT_SECRET, expiresInSeconds: 3600 },
  );

  // 1. Search p95 with the shared rate limiter on and off.
  const off = await server(false);
  const on = await server(true);
  const path_ = `/v1/organizations/${orgId}/employees?q=smith123`;
  const p95 = { off: [] as number[], on: [] as number[] };
  const cpuMs = { off: [] as number[], on: [] as number[] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, target] of [
      ['off', off],
      ['on', on],
    ] as const) {
      const pgBefore = postgresCpuSeconds(pgDataDir);
      const cpuBefore = process.cpuUsage();
      const r = await runLoadClient({
        url: `${target.base}${path_}`,
        connections: 10,
        seconds: SECONDS,
        headers: { authorization: `Bearer ${token}` },
      });
      const used = process.cpuUsage(cpuBefore);
      const server = (used.user + used.system) / 1000 / r.requests;
      const db = ((postgresCpuSeconds(pgDataDir) - pgBefore) * 1000) / r.requests;
      p95[name].push(r.p95);
      cpuMs[name].push(server + db);
      console.log(
        `round ${round + 1}, rate limiter ${name.padEnd(3)}: p50 ${r.p50.toFixed(1)} ms  p95 ${r.p95.toFixed(1)} ms  ` +
          `p99 ${r.p99.toFixed(1)} ms  (${r.requests} req); CPU ${server.toFixed(2)} ms server + ${db.toFixed(2)} ms Postgres a request`,
      );
    }
  }
  const ratio = median(p95.on) / median(p95.off);
  console.log(
    `employee search p95, median of ${ROUNDS} rounds: limiter off ${median(p95.off)} ms, on ${median(p95.on)} ms → ` +
      `${ratio.toFixed(2)}× (target ≤ 1.10×: ${ratio <= 1.1 ? 'ok' : 'OVER'})`,
  );
  const cpuRatio = median(cpuMs.on) / median(cpuMs.off);
  console.log(
    `CPU a request (server + Postgres), median: off ${median(cpuMs.off).toFixed(2)} ms, on ${median(cpuMs.on).toFixed(2)} ms → ` +
      `${cpuRatio.toFixed(2)}× (the figure other work on the machine does not inflate)`,
  );
  off.listening.close();
  on.listening.close();

  // 2. The authorization statement with and without its session check.
  const withSession = `SELECT u.email, u.platform_admin, m.role, o.id AS org_id, o.name
    FROM users u
    JOIN sessions s ON s.id = $3::uuid AND s.user_id = u.id AND s.revoked_at IS NULL
    LEFT JOIN organizations o ON o.id = $2::uuid
    LEFT JOIN memberships m ON m.organization_id = o.id AND m.user_id = u.id
    WHERE u.id = $1::uuid`;
  const without = `SELECT u.email, u.platform_admin, m.role, o.id AS org_id, o.name
    FROM users u
    LEFT JOIN organizations o ON o.id = $2::uuid
    LEFT JOIN memberships m ON m.organization_id = o.id AND m.user_id = u.id
    WHERE u.id = $1::uuid`;
  const perCall = await withClient(sequelize, async (client) => {
    const times = { with: [] as number[], without: [] as number[] };
    for (let i = 0; i < 6000; i++) {
      for (const [name, text] of [
        ['with', withSession],
        ['without', without],
      ] as const) {
        const values_ = name === 'with' ? [user.id, orgId, sessionId] : [user.id, orgId];
        const started = process.hrtime.bigint();
        await client.query({ name: `bench-auth-${name}`, text, values: values_ });
        if (i >= 1000) times[name].push(Number(process.hrtime.bigint() - started) / 1000);
      }
    }
    return { with: median(times.with), without: median(times.without) };
  });
  console.log(
    `authorization statement, median per call: with the session check ${perCall.with.toFixed(0)} µs, ` +
      `without ${perCall.without.toFixed(0)} µs (${(perCall.with - perCall.without).toFixed(0)} µs more)`,
  );

  // 3. Login throughput at the new scrypt cost.
  const stored = await hashPassword('bench password of length');
  for (const concurrency of [1, 2, 4]) {
    let done = 0;
    const until = performance.now() + SECONDS * 1000;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < until) {
          await verifyPassword('bench password of length', stored);
          done++;
        }
      }),
    );
    const rate = done / ((performance.now() - started) / 1000);
    console.log(
      `password checks (scrypt N=2^17, r=8, p=1), ${concurrency} at a time: ${rate.toFixed(1)} logins/s`,
    );
  }
} finally {
  await temporal.connection.close().catch(() => undefined);
  await sequelize.close();
  await postgres.stop();
  fs.rmSync(workDir, { recursive: true, force: true });
}
