/**
 * The outbox's cost (issue 25, docs/spec.md §12), on the real stack:
 * 1. creating people through the API (their screening start recorded in the outbox, then delivered
 *    right after the commit) against the same writes with a direct start after the commit — the
 *    ratio of the two wall times (target ≤ 1.2×);
 * 2. the relay's delay after Temporal returns with `--pending` intents waiting: when 50 % and 95 %
 *    of them were delivered, counted from the restart (target p95 ≤ 2 s at 10k). The backlog is the
 *    realistic one — people written while Temporal was down, each recording its screening start
 *    (services/screenings.ts `recordEmployeeScreening`, batch key of its organization), spread over
 *    `--orgs` organizations — plus `--unkeyed` intents that cannot be united (an organization
 *    rescreen each), interleaved. It also prints how many starts the relay made.
 * No worker runs: the workflows just start and wait. Sizes are options, so a small machine runs it.
 *
 *   npm run bench -- outbox        (or: node --import tsx bench/outbox.ts --people 10000 --pending 10000)
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { recordAudit } from '../db/audit-store';
import { insertOrganization } from '../db/organization-store';
import { insertEmployee } from '../db/people-store';
import { execute, inTransaction, queryOne } from '../db/sql';
import { ensureMembership, insertUser } from '../db/user-store';
import { insertWorkflowIntent } from '../db/workflow-outbox-store';
import { hashPassword } from '../lib/passwords';
import { SCREENING_WORKFLOW_TYPE, screeningWorkflowId } from '../lib/workflow-contracts';
import { createEmployee } from '../services/people';
import { startWorkflowOutboxRelay } from '../services/workflow-outbox';
import { sessionToken } from '../test/support/fixtures';
import { recordUndeliveredScreening } from '../test/support/outbox-screenings';
import { stack, startTestStack, stopTestStack, testLogger } from '../test/support/stack';
import { ms } from './support/timing';

const { values } = parseArgs({
  options: {
    people: { type: 'string', default: '2000' },
    pending: { type: 'string', default: '10000' },
    orgs: { type: 'string', default: '4' },
    unkeyed: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '16' },
  },
});
const PEOPLE = Number(values.people);
const PENDING = Number(values.pending);
const ORGS = Number(values.orgs);
const UNKEYED = Math.min(Number(values.unkeyed), PENDING);
const CONCURRENCY = Number(values.concurrency);

await startTestStack();
const { sequelize, config, temporal } = stack();
const taskQueue = `bench-outbox-${randomUUID()}`;

async function organizationWithAdmin(name: string) {
  const organization = await insertOrganization(sequelize, {
    name,
    subdomain: `outbox-${randomUUID().slice(0, 8)}`,
    status: 'active',
    dns_status: 'in_sync',
  });
  if (!organization) throw new Error('subdomain taken');
  const admin = await insertUser(sequelize, {
    email: `outbox-${randomUUID()}@example.test`,
    name: 'Bench',
    password_hash: await hashPassword('bench-password-long'),
  });
  await ensureMembership(sequelize, { organization_id: organization.id, user_id: admin.id, role: 'admin' });
  return { organization, admin };
}

/** Runs `count` creations `CONCURRENCY` at a time; the wall time in ms. */
async function timed(count: number, create: (i: number) => Promise<void>): Promise<number> {
  const started = process.hrtime.bigint();
  let next = 0;
  const lane = async () => {
    while (next < count) await create(next++);
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  return ms(started);
}

const person = (i: number, prefix: string) => ({
  kind: 'employee',
  externalId: `${prefix}${i}`,
  firstName: 'Bench',
  lastName: `Person${i}`,
});

// The three ways of writing a person run in alternating blocks, so the host's changing load (other
// work on the machine) weighs on each alike.
const BLOCKS = 4;
const viaOutbox = await organizationWithAdmin('Outbox Bench');
const viaService = await organizationWithAdmin('Service Bench');
const direct = await organizationWithAdmin('Direct Bench');
const { token } = await sessionToken(viaOutbox.admin.id, 3600);
const app = stack().createApp({ TEMPORAL_TASK_QUEUE: taskQueue });
const serviceDeps = { sequelize, temporal, config: { ...config, TEMPORAL_TASK_QUEUE: taskQueue } };
let outboxMs = 0;
let serviceMs = 0;
let directMs = 0;
for (let block = 0; block < BLOCKS; block++) {
  const size = Math.ceil(PEOPLE / BLOCKS);
  const offset = block * size;
  // 1. Through the API with the outbox.
  outboxMs += await timed(size, async (i) => {
    const response = await app.request(`/v1/organizations/${viaOutbox.organization.id}/employees`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(person(offset + i, 'O')),
    });
    if (response.status !== 202)
      throw new Error(`POST answered ${response.status}: ${await response.text()}`);
    await response.arrayBuffer();
  });
  // 1b. The API's service (validation, row, audit, intent in one transaction, then its delivery)
  //     without HTTP: what the outbox adds, next to the direct run.
  serviceMs += await timed(size, async (i) => {
    const { kind, externalId, firstName, lastName } = person(offset + i, 'S');
    await createEmployee(serviceDeps, {
      organizationId: viaService.organization.id,
      actorUserId: viaService.admin.id,
      kind: kind as 'employee',
      fields: { externalId, firstName, lastName },
    });
  });
  // 2. The same writes (row, audit) with a direct start after the commit, as before the outbox.
  directMs += await timed(size, async (i) => {
    const { kind, externalId, firstName, lastName } = person(offset + i, 'D');
    const record = { external_id: externalId, first_name: firstName, last_name: lastName };
    const employee = await insertEmployee(sequelize, {
      organizationId: direct.organization.id,
      kind: kind as 'employee',
      status: 'active',
      record,
    });
    await recordAudit(sequelize, {
      actorUserId: direct.admin.id,
      action: 'employee.created',
      entityType: 'employee',
      entityId: employee.id,
      organizationId: direct.organization.id,
    });
    await temporal.workflow.start(SCREENING_WORKFLOW_TYPE, {
      taskQueue,
      workflowId: screeningWorkflowId(
        'employees',
        `${employee.id}-${new Date(employee.updated_at).getTime()}`,
      ),
      args: [{ kind: 'employees', organizationId: direct.organization.id, employeeIds: [employee.id] }],
    });
  });
}
console.log(
  `${PEOPLE} people, ${CONCURRENCY} at a time, ${BLOCKS} alternating blocks: API with outbox ` +
    `${(outboxMs / 1000).toFixed(1)} s, its service without HTTP ${(serviceMs / 1000).toFixed(1)} s, ` +
    `direct start ${(directMs / 1000).toFixed(1)} s (the direct run skips HTTP, validation and the ` +
    `transaction) — API ${(outboxMs / directMs).toFixed(2)}×, service ${(serviceMs / directMs).toFixed(2)}× ` +
    '(target ≤ 1.2×)',
);

// 3. The relay after an outage, with PENDING intents waiting.
const relay = startWorkflowOutboxRelay({
  config,
  sequelize,
  temporal,
  logger: testLogger,
});
const backlog = async () =>
  (await queryOne<{ n: number }>(sequelize, 'SELECT count(*)::int AS n FROM workflow_outbox'))?.n ?? 0;
let returnedAt = 0n;
const organizations = await Promise.all(
  Array.from({ length: ORGS }, (_, i) => organizationWithAdmin(`Backlog Bench ${i}`)),
);
const startsBefore = await countStarts();
await stack().restart.temporal(async () => {
  await execute(sequelize, 'DELETE FROM workflow_outbox');
  // Every (PENDING / UNKEYED)-th intent cannot be united; the others are person changes, round robin
  // over the organizations, as an outage's writes arrive.
  const every = UNKEYED > 0 ? Math.floor(PENDING / UNKEYED) : Number.POSITIVE_INFINITY;
  for (let i = 0; i < PENDING; i += 100) {
    await inTransaction(sequelize, async (tx) => {
      for (let j = i; j < Math.min(i + 100, PENDING); j++) {
        const organizationId = (organizations[j % ORGS] ?? direct).organization.id;
        if (j % every === every - 1) {
          const workflowId = screeningWorkflowId('organization', `bench-${randomUUID()}`);
          await insertWorkflowIntent(tx, workflowId, {
            kind: 'start',
            workflowType: SCREENING_WORKFLOW_TYPE,
            workflowId,
            taskQueue,
            args: [{ kind: 'organization', organizationId }],
          });
          continue;
        }
        // The intent of a person's write (its row is not needed: no worker runs the screening).
        await recordUndeliveredScreening(
          tx,
          { TEMPORAL_TASK_QUEUE: taskQueue },
          {
            id: randomUUID(),
            organization_id: organizationId,
            updated_at: new Date(),
          },
        );
      }
    });
  }
  await new Promise((resolve) => setTimeout(resolve, 3_000));
});
returnedAt = process.hrtime.bigint();
let first = 0;
let half = 0;
let p95 = 0;
for (;;) {
  const left = await backlog();
  if (!first && left < PENDING) first = ms(returnedAt);
  if (!half && left <= PENDING / 2) half = ms(returnedAt);
  if (left <= PENDING * 0.05) {
    p95 = ms(returnedAt);
    break;
  }
  if (ms(returnedAt) > 300_000) throw new Error(`the relay left ${left} intents after 5 minutes`);
  await new Promise((resolve) => setTimeout(resolve, 50));
}
await until0();
const allMs = ms(returnedAt);
await relay.stop();
await new Promise((resolve) => setTimeout(resolve, 2_000)); // visibility catches up
const starts = (await countStarts()) - startsBefore;
console.log(
  `relay after Temporal's return with ${PENDING} pending (${PENDING - UNKEYED} person screenings of ${ORGS} ` +
    `organizations, ${UNKEYED} that cannot be united): first delivered at ${(first / 1000).toFixed(2)} s, 50 % at ${(half / 1000).toFixed(2)} s, ` +
    `95 % at ${(p95 / 1000).toFixed(2)} s (target p95 ≤ 2 s), all at ${(allMs / 1000).toFixed(2)} s, ` +
    `in ${starts} starts`,
);

/** Waits for the rest of the backlog. */
async function until0() {
  while ((await backlog()) > 0) {
    if (ms(returnedAt) > 300_000) throw new Error('the relay left intents after 5 minutes');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Executions started on the bench's task queue (visibility; closed or running). */
async function countStarts(): Promise<number> {
  const { count } = await temporal.workflow.count(`TaskQueue = '${taskQueue}'`);
  return count;
}
await stopTestStack();
