import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createApp } from '../../api/app';
import { createSequelize } from '../../db/sequelize';
import { inTransaction, queryOne } from '../../db/sql';
import { createMember, createOrganization, createUser, setOrganizationState } from '../support/fixtures';
import { call } from '../support/http';
import { stack, testLogger } from '../support/stack';
import { employeeCsv, putObject } from '../workflows/roster-import-support';

/**
 * The input rules of docs/spec.md §12: a malformed cursor is 400, a search `q` under 2 characters
 * 422, a statement past DB_STATEMENT_TIMEOUT_MS 503 (never 500), a write to an organization being
 * deleted or deleted 409.
 */
describe('the answers of docs/spec.md §12', () => {
  const app = () => stack().createApp({ TEMPORAL_TASK_QUEUE: `robust-${randomUUID()}` });

  it('a malformed cursor is 400 naming query.cursor on every paged list', async () => {
    const platformAdmin = await createUser({ platformAdmin: true });
    const org = await createOrganization();
    const api = app();
    for (const path of [
      '/v1/organizations',
      `/v1/organizations/${org.id}/employees`,
      `/v1/organizations/${org.id}/patients`,
      `/v1/organizations/${org.id}/imports`,
      `/v1/organizations/${org.id}/invitations`,
      `/v1/organizations/${org.id}/members`,
      `/v1/organizations/${org.id}/exclusion-matches`,
      '/v1/oig/checks',
      '/v1/oig/exclusions',
    ]) {
      for (const cursor of ['nonsense', 'W10', '%F0%9F%92%A9', '%00', 'W10%00', 'A'.repeat(1001)]) {
        const response = await call(api, 'GET', `${path}?cursor=${cursor}`, { token: platformAdmin.token });
        assert.equal(response.status, 400, `${path}?cursor=${cursor}: ${JSON.stringify(response.body)}`);
        assert.deepEqual(
          response.body.errors.map((error: { path: string }) => error.path),
          ['query.cursor'],
        );
      }
    }
  });

  it('a search q under 2 characters is 422 naming query.q; 2 characters are searched', async () => {
    const platformAdmin = await createUser({ platformAdmin: true });
    const org = await createOrganization();
    const api = app();
    for (const path of [
      `/v1/organizations/${org.id}/employees`,
      `/v1/organizations/${org.id}/patients`,
      '/v1/oig/exclusions',
    ]) {
      for (const q of ['a', '%20b%20', '']) {
        const response = await call(api, 'GET', `${path}?q=${q}`, { token: platformAdmin.token });
        assert.equal(response.status, 422, `${path}?q=${q}: ${JSON.stringify(response.body)}`);
        assert.deepEqual(
          response.body.errors.map((error: { path: string }) => error.path),
          ['query.q'],
        );
      }
      const two = await call(api, 'GET', `${path}?q=ab`, { token: platformAdmin.token });
      assert.equal(two.status, 200, `${path}?q=ab`);
    }
  });

  it('a statement past DB_STATEMENT_TIMEOUT_MS answers 503 with Retry-After, never 500', async function () {
    this.timeout(30_000);
    const sequelize = createSequelize(stack().config.DATABASE_URL, { statementTimeoutMs: 300 });
    const api = createApp({
      config: stack().config,
      sequelize,
      temporal: stack().temporal,
      logger: testLogger,
    });
    const platformAdmin = await createUser({ platformAdmin: true });
    const org = await createOrganization();
    try {
      let release: () => void = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      let locked: () => void = () => {};
      const isLocked = new Promise<void>((resolve) => {
        locked = resolve;
      });
      // Another session holds the organization's row, so the rename waits on its lock.
      const holder = inTransaction(stack().sequelize, async (tx) => {
        await queryOne(tx, 'SELECT id FROM organizations WHERE id = $id FOR UPDATE', { id: org.id });
        locked();
        await held;
      });
      await isLocked;
      const started = Date.now();
      const response = await call(api, 'PATCH', `/v1/organizations/${org.id}`, {
        token: platformAdmin.token,
        json: { name: 'Waiting Care' },
      });
      release();
      await holder;
      assert.equal(response.status, 503, JSON.stringify(response.body));
      assert.equal(response.headers.get('content-type'), 'application/problem+json');
      assert.equal(response.headers.get('retry-after'), '1');
      assert.ok(Date.now() - started < 5_000, 'answered at the timeout, not after the lock');
    } finally {
      await sequelize.close();
    }
  });

  for (const status of ['deprovisioning', 'deleted'] as const) {
    it(`a write to an organization ${status === 'deleted' ? 'deleted' : 'being deleted'} is 409; reads still answer`, async () => {
      const api = app();
      const org = await createOrganization();
      const admin = await createMember(org.id, 'owner');
      const created = await call(api, 'POST', `/v1/organizations/${org.id}/employees`, {
        token: admin.token,
        json: { kind: 'employee', externalId: 'BEFORE', firstName: 'Bea', lastName: 'Fore' },
      });
      assert.equal(created.status, 202);
      const s3Key = `imports/${org.id}/employees/${randomUUID()}/roster.csv`;
      await putObject(s3Key, employeeCsv(2));
      await setOrganizationState(org.id, { status });

      const writes: [string, string, unknown?][] = [
        [
          'POST',
          `/v1/organizations/${org.id}/employees`,
          { kind: 'employee', externalId: 'AFTER', firstName: 'A', lastName: 'Fter' },
        ],
        ['PATCH', `/v1/organizations/${org.id}/employees/${created.body.id}`, { firstName: 'Changed' }],
        ['DELETE', `/v1/organizations/${org.id}/employees/${created.body.id}`],
        ['POST', `/v1/organizations/${org.id}/imports`, { kind: 'employees', s3Key }],
        [
          'POST',
          `/v1/organizations/${org.id}/invitations`,
          { email: `late-${randomUUID()}@example.test`, role: 'member' },
        ],
        ['PATCH', `/v1/organizations/${org.id}`, { name: 'Renamed While Deleting' }],
      ];
      for (const [method, path, json] of writes) {
        const response = await call(api, method, path, { token: admin.token, json });
        assert.equal(response.status, 409, `${method} ${path}: ${JSON.stringify(response.body)}`);
      }
      const people = await call(api, 'GET', `/v1/organizations/${org.id}/employees`, { token: admin.token });
      assert.equal(people.status, 200);
      assert.deepEqual(
        people.body.items.map((person: { externalId: string; firstName: string; status: string }) => [
          person.externalId,
          person.firstName,
          person.status,
        ]),
        [['BEFORE', 'Bea', 'active']],
        'nothing was written',
      );
      const imports = await call(api, 'GET', `/v1/organizations/${org.id}/imports`, { token: admin.token });
      assert.deepEqual(imports.body.items, []);
    });
  }
});
