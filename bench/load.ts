/**
 * Load test (issue 8): the real app on loopback, with the real stack and a worker, under
 * autocannon at 200 connections: a search (`GET …/employees?q=`) and a workflow-starting POST
 * (`POST …/exclusion-screenings`, which starts or joins the organization's rescreen).
 * Bounded: each run lasts --seconds (default 30), loopback only. Fails on any 5xx or lost request.
 *
 *   npm run bench -- load          (or: node --import tsx bench/load.ts --seconds 10)
 */
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { serve } from '@hono/node-server';
import { insertOrganization } from '../db/organization-store';
import { insertSession } from '../db/session-store';
import { execute } from '../db/sql';
import { ensureMembership, insertUser } from '../db/user-store';
import { hashPassword } from '../lib/passwords';
import { signAccessToken } from '../lib/tokens';
import { stack, startTestStack, stopTestStack } from '../test/support/stack';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '30' },
    connections: { type: 'string', default: '200' },
    employees: { type: 'string', default: '50000' },
  },
});
const SECONDS = Number(values.seconds);
const CONNECTIONS = Number(values.connections);
const EMPLOYEES = Number(values.employees);

interface Result {
  requests: { average: number; total: number; sent: number };
  latency: { p50: number; p90: number; p99: number; p97_5: number; max: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodeStats: Record<string, { count: number }>;
}
// autocannon ships no type declarations.
const autocannon = createRequire(import.meta.url)('autocannon') as (options: object) => Promise<Result>;

await startTestStack();
const { sequelize, config } = stack();
const organization = await insertOrganization(sequelize, {
  name: 'Load Test Agency',
  subdomain: `load-${Date.now()}`,
  status: 'active',
  dns_status: 'in_sync',
});
if (!organization) throw new Error('The load test subdomain is taken.');
await execute(
  sequelize,
  `INSERT INTO employees (organization_id, kind, external_id, first_name, last_name, date_of_birth,
     first_name_norm, last_name_norm)
   SELECT $org, 'employee', 'E' || g, f, l, DATE '1960-01-01' + (g % 15000),
     ale_normalize_name(f), ale_normalize_name(l)
   FROM generate_series(1, $n::int) g,
     LATERAL (SELECT (ARRAY['Maria','James','Linda','Robert','Patricia','John','Mary','Michael'])[1 + g % 8] || g % 97 AS f,
                     (ARRAY['Smith','Johnson','Williams','Brown','Jones','Garcia','Miller','Davis'])[1 + g % 8] AS l) names`,
  { org: organization.id, n: EMPLOYEES },
);
await execute(sequelize, 'ANALYZE employees');
const admin = await insertUser(sequelize, {
  email: `load-${Date.now()}@example.test`,
  name: 'Load',
  password_hash: await hashPassword('load-test-password'),
});
await ensureMembership(sequelize, { organization_id: organization.id, user_id: admin.id, role: 'admin' });
const token = await signAccessToken(
  { userId: admin.id, sessionId: await insertSession(sequelize, admin.id, 'password') },
  { secret: config.AUTH_JWT_SECRET, expiresInSeconds: 3600 },
);

const taskQueue = `load-${Date.now()}`;
const worker = await stack().createWorker(taskQueue);
const running = worker.run();
const app = stack().createApp({ TEMPORAL_TASK_QUEUE: taskQueue });
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
await new Promise((resolve) => server.once('listening', resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

async function run(title: string, options: object) {
  const result = await autocannon({ connections: CONNECTIONS, duration: SECONDS, headers, ...options });
  const fiveXx = Object.entries(result.statusCodeStats)
    .filter(([code]) => code.startsWith('5'))
    .reduce((sum, [, { count }]) => sum + count, 0);
  // Requests still in flight when the duration ends are cut by autocannon itself, not lost.
  const lost = result.errors + result.timeouts;
  console.log(
    `${title.padEnd(46)} rps ${result.requests.average.toFixed(0).padStart(6)}  p50 ${result.latency.p50} ms  ` +
      `p95≈p97.5 ${result.latency.p97_5} ms  p99 ${result.latency.p99} ms  max ${result.latency.max} ms  ` +
      `total ${result.requests.total}  5xx ${fiveXx}  non-2xx ${result.non2xx}  lost ${lost}`,
  );
  return fiveXx === 0 && lost === 0 && result.non2xx === 0;
}

console.log(`${CONNECTIONS} connections × ${SECONDS} s each, ${EMPLOYEES} employees, loopback`);
const floor = await run('GET /health (framework floor)', { url: `${base}/health` });
const search = await run('GET …/employees?q=smith', {
  url: `${base}/v1/organizations/${organization.id}/employees?q=smith&limit=20`,
});
const start = await run('POST …/exclusion-screenings (starts a workflow)', {
  url: `${base}/v1/organizations/${organization.id}/exclusion-screenings`,
  method: 'POST',
  body: '{}',
});
server.close();
worker.shutdown();
await running;
await stopTestStack();
if (!(floor && search && start)) {
  console.error('FAILED: a run had 5xx, non-2xx or lost requests');
  process.exit(1);
}
