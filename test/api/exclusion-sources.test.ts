import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { execute } from '../../db/sql';
import type { Config } from '../../lib/config';
import { exclusionSourceSyncWorkflowId } from '../../lib/exclusion-source-contract';
import { createUser } from '../support/fixtures';
import { call } from '../support/http';
import { stack } from '../support/stack';

const sql = (text: string, bind: Record<string, unknown> = {}) => execute(stack().sequelize, text, bind);

async function insertSourceCheck(
  source: string,
  fields: { checkedAt: string; status: string; error?: string },
) {
  const id = randomUUID();
  await sql(
    `INSERT INTO exclusion_source_checks (id, source, checked_at, trigger, status, row_count, rejected_rows, error)
     VALUES ($id, $source, $checkedAt, 'schedule', $status, $rowCount, 0, $error)`,
    {
      id,
      source,
      checkedAt: fields.checkedAt,
      status: fields.status,
      rowCount: fields.status === 'imported' ? 1 : null,
      error: fields.error ?? null,
    },
  );
  return id;
}

async function insertRecord(
  source: string,
  key: string,
  first: string,
  last: string,
  aliases: string[] = [],
) {
  await sql(
    `INSERT INTO exclusion_source_records (source, exclusion_key, entity_kind, first_name, last_name, aliases, state,
        last_name_norm, first_name_norm, full_name_norm, search_norm)
     VALUES ($source, $key, 'individual', $first::text, $last::text, $aliases::text[], 'PA',
        ale_normalize_name($last::text), ale_normalize_name($first::text),
        ale_normalize_name($first::text || ' ' || $last::text),
        ale_normalize_name($first::text || ' ' || $last::text || ' ' || array_to_string($aliases::text[], ' ')))`,
    { source, key, first, last, aliases },
  );
}

const now = () => new Date().toISOString();
const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();

describe('exclusion sources API (docs/spec.md §8)', () => {
  let admin: { token: string };
  let member: { token: string };
  const configured: Partial<Config> = {
    EXCLUSION_SOURCES: ['leie', 'sam', 'pa_medicheck', 'ca_medi_cal'],
    SAM_API_KEY: 'test-key',
    PA_MEDICHECK_URL: 'http://127.0.0.1:9/pa.csv',
  };

  before(async () => {
    admin = await createUser({ platformAdmin: true });
    member = await createUser();
    await sql(`DELETE FROM exclusion_source_checks WHERE source IN ('sam', 'pa_medicheck')`);
    await sql(`DELETE FROM exclusion_source_records WHERE source IN ('sam', 'pa_medicheck')`);
  });
  after(async () => {
    await sql(`DELETE FROM exclusion_source_checks WHERE source IN ('sam', 'pa_medicheck')`);
    await sql(`DELETE FROM exclusion_source_records WHERE source IN ('sam', 'pa_medicheck')`);
  });

  it('needs a signed-in user', async () => {
    for (const path of ['/v1/exclusion-sources', '/v1/exclusion-sources/sam', '/v1/exclusions']) {
      assert.equal((await call(stack().createApp(), 'GET', path)).status, 401, path);
    }
  });

  it('lists every source; an unset URL or SAM without a key is not_configured, never skipped', async () => {
    const app = stack().createApp({ EXCLUSION_SOURCES: ['leie', 'sam'], SAM_API_KEY: undefined });
    const response = await call(app, 'GET', '/v1/exclusion-sources', { token: member.token });
    assert.equal(response.status, 200);
    assert.deepEqual(Object.keys(response.body), ['items', 'nextCursor'], 'a list, as every list is');
    assert.equal(response.body.nextCursor, null);
    const byId = new Map(response.body.items.map((item: { id: string }) => [item.id, item]));
    assert.deepEqual([...byId.keys()], ['leie', 'sam', 'pa_medicheck', 'ca_medi_cal']);
    assert.deepEqual(
      response.body.items
        .map((item: { id: string; enabled: boolean; state: string }) => [item.id, item.enabled, item.state])
        .slice(1),
      [
        ['sam', true, 'not_configured'],
        ['pa_medicheck', false, 'not_configured'],
        ['ca_medi_cal', false, 'not_configured'],
      ],
    );
    assert.match((byId.get('sam') as { notConfiguredReason: string }).notConfiguredReason, /SAM_API_KEY/);
    assert.equal((byId.get('sam') as { scheduleId: string }).scheduleId, 'exclusion-source-sync-sam');
  });

  it('states: never, fresh, failed (the list kept), stale', async () => {
    const app = stack().createApp(configured);
    const state = async (id: string) =>
      (await call(app, 'GET', `/v1/exclusion-sources/${id}`, { token: member.token })).body.state;
    assert.equal(await state('sam'), 'never');
    await insertRecord('sam', 'k1', 'Ignatius', 'Pellworth', ['IGGY PELLWORTH']);
    const importId = await insertSourceCheck('sam', { checkedAt: now(), status: 'imported' });
    assert.equal(await state('sam'), 'fresh');
    await insertSourceCheck('sam', {
      checkedAt: now(),
      status: 'failed',
      error: 'ExclusionSourceNotZip: HTML',
    });
    const failed = (await call(app, 'GET', '/v1/exclusion-sources/sam', { token: member.token })).body;
    assert.equal(failed.state, 'failed');
    assert.equal(failed.lastCheck.error, 'ExclusionSourceNotZip: HTML');
    assert.equal(failed.lastImport.id, importId);
    assert.equal(failed.rowCount, 1);
    await insertSourceCheck('pa_medicheck', { checkedAt: daysAgo(3), status: 'imported' });
    assert.equal(await state('pa_medicheck'), 'stale');
  });

  it('an unknown source is a 404 problem on every route', async () => {
    const app = stack().createApp(configured);
    const long = 'x'.repeat(500);
    for (const [method, path] of [
      ['GET', '/v1/exclusion-sources/nope'],
      ['GET', '/v1/exclusion-sources/nope/checks'],
      ['POST', '/v1/exclusion-sources/nope/sync'],
      ['GET', `/v1/exclusion-sources/${long}`],
      ['POST', `/v1/exclusion-sources/${long}/sync`],
    ] as const) {
      const response = await call(app, method, path, { token: admin.token });
      assert.equal(response.status, 404, path);
      assert.match(response.headers.get('content-type') ?? '', /problem\+json/);
      assert.ok(response.body.detail.length < 200, 'the id is not echoed whole');
    }
  });

  it('checks: platform admins only, newest first, each with its source; the LEIE is the OIG checks', async () => {
    const app = stack().createApp(configured);
    assert.equal(
      (await call(app, 'GET', '/v1/exclusion-sources/sam/checks', { token: member.token })).status,
      403,
    );
    const response = await call(app, 'GET', '/v1/exclusion-sources/sam/checks?limit=1', {
      token: admin.token,
    });
    assert.equal(response.status, 200);
    assert.equal(response.body.items.length, 1);
    assert.equal(response.body.items[0].source, 'sam');
    assert.equal(response.body.items[0].status, 'failed');
    const next = await call(
      app,
      'GET',
      `/v1/exclusion-sources/sam/checks?limit=1&cursor=${response.body.nextCursor}`,
      {
        token: admin.token,
      },
    );
    assert.equal(next.body.items[0].status, 'imported');
    const leie = await call(app, 'GET', '/v1/exclusion-sources/leie/checks', { token: admin.token });
    assert.equal(leie.status, 200);
    assert.ok(leie.body.items.every((item: { source: string }) => item.source === 'leie'));
  });

  it('sync: 202 with the workflow for platform admins; 409 when not configured or not enabled; 403 for others', async () => {
    const app = stack().createApp(configured);
    assert.equal(
      (await call(app, 'POST', '/v1/exclusion-sources/sam/sync', { token: member.token })).status,
      403,
    );
    const unconfigured = await call(
      stack().createApp({ SAM_API_KEY: undefined }),
      'POST',
      '/v1/exclusion-sources/sam/sync',
      {
        token: admin.token,
      },
    );
    assert.equal(unconfigured.status, 409);
    assert.match(unconfigured.body.detail, /SAM_API_KEY/);
    const disabled = await call(
      stack().createApp({ ...configured, EXCLUSION_SOURCES: ['leie'] }),
      'POST',
      '/v1/exclusion-sources/pa_medicheck/sync',
      { token: admin.token },
    );
    assert.equal(disabled.status, 409);

    const started = await call(app, 'POST', '/v1/exclusion-sources/pa_medicheck/sync', {
      token: admin.token,
      json: { force: true },
    });
    assert.equal(started.status, 202);
    assert.equal(started.body.workflowId, exclusionSourceSyncWorkflowId('pa_medicheck', 'manual'));
    assert.equal(started.body.force, true);
    assert.equal(started.body.links.self, '/v1/exclusion-sources/pa_medicheck');
    const again = await call(app, 'POST', '/v1/exclusion-sources/pa_medicheck/sync', { token: admin.token });
    assert.equal(again.body.alreadyRunning, true, 'a second request joins the running sync');
    await stack().temporal.workflow.getHandle(started.body.workflowId).terminate('test over');
    const bad = await call(app, 'POST', '/v1/exclusion-sources/pa_medicheck/sync', {
      token: admin.token,
      json: { force: 'yes' },
    });
    assert.equal(bad.status, 422);
  });

  it('GET /v1/exclusions searches every enabled list by name and alias; each row says its source', async () => {
    const app = stack().createApp(configured);
    await insertRecord('pa_medicheck', 'p1', 'Ignatius', 'Pellworth');
    const both = await call(app, 'GET', '/v1/exclusions?q=pellworth', { token: member.token });
    assert.equal(both.status, 200);
    assert.deepEqual(both.body.items.map((item: { source: string }) => item.source).sort(), [
      'pa_medicheck',
      'sam',
    ]);
    const byAlias = await call(app, 'GET', '/v1/exclusions?q=iggy', { token: member.token });
    assert.deepEqual(
      byAlias.body.items.map((item: { source: string; aliases: string[] }) => [item.source, item.aliases]),
      [['sam', ['IGGY PELLWORTH']]],
    );
    const one = await call(app, 'GET', '/v1/exclusions?q=pellworth&source=pa_medicheck&state=pa', {
      token: member.token,
    });
    assert.deepEqual(
      one.body.items.map((item: { source: string }) => item.source),
      ['pa_medicheck'],
    );
    const paged = await call(app, 'GET', '/v1/exclusions?q=pellworth&limit=1', { token: member.token });
    const second = await call(
      app,
      'GET',
      `/v1/exclusions?q=pellworth&limit=1&cursor=${paged.body.nextCursor}`,
      {
        token: member.token,
      },
    );
    assert.notEqual(paged.body.items[0].source, second.body.items[0].source);
    const disabled = await call(
      stack().createApp({ ...configured, EXCLUSION_SOURCES: ['leie', 'sam'] }),
      'GET',
      '/v1/exclusions?q=pellworth',
      {
        token: member.token,
      },
    );
    assert.deepEqual(
      disabled.body.items.map((item: { source: string }) => item.source),
      ['sam'],
    );
    for (const query of ['q=x', 'source=nope', 'npi=12']) {
      const refused = await call(app, 'GET', `/v1/exclusions?${query}`, { token: member.token });
      assert.equal(refused.status, 422, query);
    }
    // docs/spec.md §12: a malformed cursor is 400.
    const badCursor = await call(app, 'GET', '/v1/exclusions?cursor=zzz', { token: member.token });
    assert.equal(badCursor.status, 400);
  });
});
