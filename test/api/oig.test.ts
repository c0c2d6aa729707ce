import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { QueryTypes } from 'sequelize';
import { OIG_SCHEDULE_ID, oigManualSyncWorkflowId } from '../../lib/workflow-contracts';
import { ensureOigSchedule } from '../../workers/exclusion-source-schedules';
import { createUser } from '../support/fixtures';
import { call } from '../support/http';
import { stack } from '../support/stack';

const sql = (query: string, replacements: Record<string, unknown> = {}) =>
  stack().sequelize.query(query, { type: QueryTypes.RAW, replacements });

/** Inserts LEIE rows the way the sync stores them (names normalized with ale_normalize_name). */
async function seedExclusions(
  rows: { last?: string; first?: string; bus?: string; npi?: string; state: string }[],
) {
  await sql('TRUNCATE oig_employees_exclusion');
  for (const row of rows) {
    await sql(
      `INSERT INTO oig_employees_exclusion (exclusion_key, lastname, firstname, busname, npi, state, excltype, excldate,
          last_name_norm, first_name_norm, full_name_norm, created_at, updated_at)
       VALUES (:key, :last, :first, :bus, :npi, :state, '1128b4', '2020-01-01',
          ale_normalize_name(:last), ale_normalize_name(:first),
          CASE WHEN :last::text IS NULL THEN ale_normalize_name(:bus)
               ELSE ale_normalize_name(:first || ' ' || :last) END, now(), now())`,
      { key: randomUUID(), last: null, first: null, bus: null, npi: null, ...row },
    );
  }
}

async function insertCheck(fields: Record<string, unknown>) {
  const id = randomUUID();
  await sql(
    `INSERT INTO oig_exclusions_check (id, checked_at, trigger, status, source_updated_on, row_count, added, removed,
        error, workflow_id, created_at, updated_at)
     VALUES (:id, :checkedAt, 'schedule', :status, :sourceUpdatedOn, :rowCount, :added, :removed, :error, :workflowId,
        now(), now())`,
    {
      id,
      sourceUpdatedOn: null,
      rowCount: null,
      added: null,
      removed: null,
      error: null,
      workflowId: `oig-sync/scheduled-${id}`,
      ...fields,
    },
  );
  return id;
}

describe('OIG API', () => {
  let admin: { token: string };
  let member: { token: string };
  before(async () => {
    admin = await createUser({ platformAdmin: true });
    member = await createUser();
  });
  after(() => sql('TRUNCATE oig_employees_exclusion; DELETE FROM oig_exclusions_check;'));

  describe('GET /v1/oig/status', () => {
    after(() =>
      stack()
        .temporal.schedule.getHandle(OIG_SCHEDULE_ID)
        .delete()
        .catch(() => {}),
    );

    it('needs a signed-in user', async () => {
      const response = await call(stack().createApp(), 'GET', '/v1/oig/status');
      assert.equal(response.status, 401);
    });

    it('shows the last check, the last import and the next run read from the Schedule', async () => {
      await sql('DELETE FROM oig_exclusions_check');
      await seedExclusions([{ last: 'SMITH', first: 'JOHN', state: 'NY' }]);
      const importId = await insertCheck({
        checkedAt: '2026-11-10T06:00:00Z',
        status: 'imported',
        sourceUpdatedOn: '2026-11-10',
        rowCount: 1,
        added: 1,
        removed: 0,
      });
      const failedId = await insertCheck({
        checkedAt: '2026-11-11T06:00:00Z',
        status: 'failed',
        error: 'OigSiteUnreachable: down',
      });
      await ensureOigSchedule(stack().temporal, {
        OIG_SYNC_CRON: '30 7 * * *',
        TEMPORAL_TASK_QUEUE: 'oig-api-test',
      });
      const next = (await stack().temporal.schedule.getHandle(OIG_SCHEDULE_ID).describe()).info
        .nextActionTimes[0];

      const response = await call(stack().createApp(), 'GET', '/v1/oig/status', { token: member.token });
      assert.equal(response.status, 200);
      assert.equal(response.body.lastCheck.id, failedId);
      assert.equal(response.body.lastCheck.status, 'failed');
      assert.equal(response.body.lastCheck.error, 'OigSiteUnreachable: down');
      assert.equal(response.body.lastCheck.checkedAt, '2026-11-11T06:00:00.000Z');
      assert.deepEqual(
        {
          checkId: response.body.lastImport.checkId,
          sourceUpdatedOn: response.body.lastImport.sourceUpdatedOn,
          rowCount: response.body.lastImport.rowCount,
        },
        { checkId: importId, sourceUpdatedOn: '2026-11-10', rowCount: 1 },
      );
      assert.equal(response.body.rowCount, 1);
      assert.equal(response.body.nextScheduledRunAt, next?.toISOString());
      assert.match(response.body.nextScheduledRunAt, /T07:30:00\.000Z$/);
      assert.deepEqual(response.body.schedule, { id: OIG_SCHEDULE_ID, paused: false });
    });

    it('answers without a next run when the Schedule does not exist', async () => {
      await stack()
        .temporal.schedule.getHandle(OIG_SCHEDULE_ID)
        .delete()
        .catch(() => {});
      const response = await call(stack().createApp(), 'GET', '/v1/oig/status', { token: member.token });
      assert.equal(response.status, 200);
      assert.equal(response.body.nextScheduledRunAt, null);
      assert.equal(response.body.schedule, null);
    });
  });

  describe('GET /v1/oig/checks', () => {
    it('is for platform admins', async () => {
      const response = await call(stack().createApp(), 'GET', '/v1/oig/checks', { token: member.token });
      assert.equal(response.status, 403);
    });

    it('pages the history newest first', async () => {
      await sql('DELETE FROM oig_exclusions_check');
      const ids = [];
      for (const day of ['01', '02', '03']) {
        ids.push(await insertCheck({ checkedAt: `2026-11-${day}T06:00:00Z`, status: 'unchanged' }));
      }
      const app = stack().createApp();
      const first = await call(app, 'GET', '/v1/oig/checks?limit=2', { token: admin.token });
      assert.equal(first.status, 200);
      assert.deepEqual(
        first.body.items.map((item: { id: string }) => item.id),
        [ids[2], ids[1]],
      );
      assert.equal(first.body.items[0].trigger, 'schedule');
      const second = await call(app, 'GET', `/v1/oig/checks?limit=2&cursor=${first.body.nextCursor}`, {
        token: admin.token,
      });
      assert.deepEqual(
        second.body.items.map((item: { id: string }) => item.id),
        [ids[0]],
      );
      assert.equal(second.body.nextCursor, null);
    });
  });

  describe('POST /v1/oig/sync', () => {
    const taskQueue = `oig-api-${randomUUID()}`;
    const terminate = () =>
      stack()
        .temporal.workflow.getHandle(oigManualSyncWorkflowId())
        .terminate('test cleanup')
        .catch(() => {});
    before(terminate);
    after(terminate);

    it('is for platform admins', async () => {
      const response = await call(stack().createApp(), 'POST', '/v1/oig/sync', {
        token: member.token,
        json: {},
      });
      assert.equal(response.status, 403);
    });

    it('rejects a force that is not a boolean', async () => {
      const response = await call(stack().createApp(), 'POST', '/v1/oig/sync', {
        token: admin.token,
        json: { force: 'yes' },
      });
      assert.equal(response.status, 422);
      assert.equal(response.body.errors[0].path, 'force');
    });

    it('runs the sync once when two requests arrive together', async () => {
      // No worker polls this queue, so the first run is still going when the second request arrives.
      const app = stack().createApp({ TEMPORAL_TASK_QUEUE: taskQueue });
      const [a, b] = await Promise.all([
        call(app, 'POST', '/v1/oig/sync', { token: admin.token, json: { force: true } }),
        call(app, 'POST', '/v1/oig/sync', { token: admin.token, json: { force: true } }),
      ]);
      assert.equal(a.status, 202);
      assert.equal(b.status, 202);
      assert.equal(a.body.workflowId, oigManualSyncWorkflowId());
      assert.equal(b.body.workflowId, a.body.workflowId);
      assert.equal(a.body.runId, b.body.runId);
      assert.deepEqual([a.body.alreadyRunning, b.body.alreadyRunning].sort(), [false, true]);
      assert.equal(a.body.links.self, '/v1/oig/status');
      const description = await stack().temporal.workflow.getHandle(a.body.workflowId).describe();
      assert.equal(description.type, 'exclusionSourceSync');
      assert.equal(description.taskQueue, taskQueue);
      assert.equal(description.status.name, 'RUNNING');
    });
    it('accepts a bare POST (no body) as a sync without force, joining the running one', async () => {
      const app = stack().createApp({ TEMPORAL_TASK_QUEUE: taskQueue });
      const response = await call(app, 'POST', '/v1/oig/sync', { token: admin.token });
      assert.equal(response.status, 202);
      assert.equal(response.body.force, false);
      assert.equal(response.body.alreadyRunning, true);
    });
  });

  describe('GET /v1/oig/exclusions', () => {
    before(() =>
      seedExclusions([
        { last: 'SMITH', first: 'JOHN', npi: '1234567893', state: 'NY' },
        { last: "O'BRIEN", first: 'SEÁN', state: 'MA' },
        { last: 'SMITHSON', first: 'MARY', state: 'TX' },
        { bus: '1 BEST CARE, INC', state: 'MN' },
      ]),
    );

    const search = async (query: string) => {
      const response = await call(stack().createApp(), 'GET', `/v1/oig/exclusions${query}`, {
        token: member.token,
      });
      assert.equal(response.status, 200, JSON.stringify(response.body));
      return response.body as { items: Record<string, string | null>[]; nextCursor: string | null };
    };
    const names = (body: { items: Record<string, string | null>[] }) =>
      body.items.map((item) => item.busname ?? `${item.firstname} ${item.lastname}`);

    it('finds people by normalized words in any order', async () => {
      assert.deepEqual(names(await search('?q=smith%20john')), ['JOHN SMITH']);
      assert.deepEqual(names(await search('?q=sean%20o%27brien')), ["SEÁN O'BRIEN"]);
      assert.deepEqual(names(await search('?q=smith')), ['JOHN SMITH', 'MARY SMITHSON']);
    });

    it('finds entities by business name and filters by NPI and state', async () => {
      assert.deepEqual(names(await search('?q=best%20care')), ['1 BEST CARE, INC']);
      assert.deepEqual(names(await search('?npi=1234567893')), ['JOHN SMITH']);
      assert.deepEqual(names(await search('?state=tx')), ['MARY SMITHSON']);
      assert.deepEqual(names(await search('?q=smith&state=NY')), ['JOHN SMITH']);
    });

    it('pages with a cursor and returns the LEIE columns', async () => {
      const first = await search('?limit=3');
      assert.equal(first.items.length, 3);
      assert.ok(first.nextCursor);
      const second = await search(`?limit=3&cursor=${first.nextCursor}`);
      assert.equal(second.items.length, 1);
      assert.equal(second.nextCursor, null);
      const all = [...first.items, ...second.items];
      assert.equal(new Set(all.map((item) => item.exclusionKey)).size, 4);
      assert.deepEqual(Object.keys(all[0] ?? {}).slice(0, 3), ['exclusionKey', 'lastname', 'firstname']);
    });

    it('answers 422 naming a bad NPI or state', async () => {
      const response = await call(stack().createApp(), 'GET', '/v1/oig/exclusions?npi=123&state=NYC', {
        token: member.token,
      });
      assert.equal(response.status, 422);
      assert.deepEqual(response.body.errors.map((e: { path: string }) => e.path).sort(), [
        'query.npi',
        'query.state',
      ]);
    });
  });
});
