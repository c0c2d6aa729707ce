import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { encodeCursor } from '../../api/paging';
import { execute, query } from '../../db/sql';
import { createMember, createOrganization, createUser } from '../support/fixtures';
import { call } from '../support/http';
import { stack } from '../support/stack';

/** Appends an audit entry at a chosen time (INSERT is the one statement the table allows). */
async function insertEntry(organizationId: string | null, at: string, action: string) {
  const id = randomUUID();
  await execute(
    stack().sequelize,
    `INSERT INTO audit_log (id, actor_user_id, action, entity_type, entity_id, organization_id, at, details)
     VALUES ($id, NULL, $action, 'test', NULL, $organizationId, $at, '{"n": 1}')`,
    { id, action, organizationId, at },
  );
  return id;
}

describe('audit log (docs/spec.md §10)', () => {
  it('the database refuses UPDATE, DELETE and TRUNCATE on audit_log; deleting the organization keeps its trail', async () => {
    const organization = await createOrganization();
    const id = await insertEntry(organization.id, '2026-01-15T10:00:00Z', 'test.append_only');
    for (const statement of [
      `UPDATE audit_log SET action = 'forged' WHERE id = '${id}'`,
      `DELETE FROM audit_log WHERE id = '${id}'`,
      'TRUNCATE audit_log',
    ]) {
      await assert.rejects(stack().sequelize.query(statement), (error: any) => {
        assert.equal(error.parent?.code, '42501', statement);
        assert.match(error.message, /audit_log is append-only/);
        return true;
      });
    }
    await execute(stack().sequelize, 'DELETE FROM organizations WHERE id = $id', { id: organization.id });
    const kept = await query<{ action: string; organization_id: string }>(
      stack().sequelize,
      'SELECT action, organization_id FROM audit_log WHERE id = $id',
      { id },
    );
    assert.deepEqual(kept, [{ action: 'test.append_only', organization_id: organization.id }]);

    const admin = await createUser({ platformAdmin: true });
    const trail = await call(stack().createApp(), 'GET', `/v1/audit-log?organizationId=${organization.id}`, {
      token: admin.token,
    });
    assert.deepEqual(
      trail.body.items.map((item: any) => item.id),
      [id],
      'platform admins still read a deleted organization’s trail',
    );
  });

  it('org admins page through their organization’s trail, newest first, filtered by period and action', async () => {
    const organization = await createOrganization();
    const other = await createOrganization();
    const admin = await createMember(organization.id, 'admin');
    const january = await insertEntry(organization.id, '2026-01-15T10:00:00Z', 'member.removed');
    const february = await insertEntry(organization.id, '2026-02-10T10:00:00Z', 'member.role_changed');
    const march = await insertEntry(organization.id, '2026-03-05T23:59:59.999Z', 'member.removed');
    await insertEntry(other.id, '2026-02-11T10:00:00Z', 'member.removed');
    const app = stack().createApp();
    const base = `/v1/organizations/${organization.id}/audit-log`;
    const ids = async (suffix: string) => {
      const response = await call(app, 'GET', `${base}${suffix}`, { token: admin.token });
      assert.equal(response.status, 200, JSON.stringify(response.body));
      return response.body.items.map((item: any) => item.id);
    };

    assert.deepEqual(await ids('?to=2026-06-30'), [march, february, january]);
    assert.deepEqual(await ids('?from=2026-02-01&to=2026-02-28'), [february]);
    assert.deepEqual(await ids('?from=2026-03-05&to=2026-03-05'), [march], 'a date `to` includes its day');
    assert.deepEqual(await ids('?from=2026-02-10T10:00:00Z&to=2026-02-10T10:00:00.001Z'), [february]);
    assert.deepEqual(await ids('?action=member.removed&to=2026-06-30'), [march, january]);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const response: any = await call(
        app,
        'GET',
        `${base}?limit=1&to=2026-06-30${cursor ? `&cursor=${cursor}` : ''}`,
        {
          token: admin.token,
        },
      );
      assert.equal(response.status, 200);
      seen.push(...response.body.items.map((item: any) => item.id));
      cursor = response.body.nextCursor;
    } while (cursor);
    assert.deepEqual(seen, [march, february, january]);

    const entry = (await call(app, 'GET', `${base}?from=2026-02-01&to=2026-02-28`, { token: admin.token }))
      .body.items[0];
    assert.deepEqual(entry, {
      id: february,
      at: '2026-02-10T10:00:00.000Z',
      actorUserId: null,
      action: 'member.role_changed',
      entityType: 'test',
      entityId: null,
      organizationId: organization.id,
      details: { n: 1 },
    });

    const member = await createMember(organization.id, 'member');
    assert.equal((await call(app, 'GET', base, { token: member.token })).status, 403);
    const outsider = await createMember(other.id, 'owner');
    assert.equal((await call(app, 'GET', base, { token: outsider.token })).status, 404);

    const platformAdmin = await createUser({ platformAdmin: true });
    const all = await call(app, 'GET', '/v1/audit-log?from=2026-02-01&to=2026-02-28&action=member.removed', {
      token: platformAdmin.token,
    });
    assert.equal(all.status, 200);
    assert.ok(all.body.items.some((item: any) => item.organizationId === other.id));
    assert.equal((await call(app, 'GET', '/v1/audit-log', { token: admin.token })).status, 403);
    assert.equal((await call(app, 'GET', '/v1/audit-log')).status, 401);
  });

  it('answers 422 naming the field for bad dates and a backwards range, 400 for a malformed cursor', async () => {
    const organization = await createOrganization();
    const admin = await createMember(organization.id, 'admin');
    const platformAdmin = await createUser({ platformAdmin: true });
    const app = stack().createApp();
    // docs/spec.md §12: a malformed cursor is 400; the other bad queries are 422.
    const cases: [string, string[], number?][] = [
      ['?from=2026-02-30', ['query.from']],
      ['?from=yesterday', ['query.from']],
      ['?to=2026-13-01', ['query.to']],
      ['?from=2026-02-01T10:00:00', ['query.from']],
      ['?from=2026-03-01&to=2026-02-01', ['query.to']],
      ['?from=2026-03-01T00:00:01Z&to=2026-03-01T00:00:00Z', ['query.to']],
      ['?cursor=not-a-cursor', ['query.cursor'], 400],
      [`?cursor=${encodeCursor(['x', 'y'])}`, ['query.cursor'], 400],
      ['?action=', ['query.action']],
    ];
    for (const path of [`/v1/organizations/${organization.id}/audit-log`, '/v1/audit-log']) {
      const token = path.startsWith('/v1/audit-log') ? platformAdmin.token : admin.token;
      for (const [suffix, fields, status = 422] of cases) {
        const response = await call(app, 'GET', `${path}${suffix}`, { token });
        assert.equal(response.status, status, `${path}${suffix}`);
        assert.deepEqual(
          response.body.errors.map((e: any) => e.path),
          fields,
          suffix,
        );
      }
    }
    const badOrg = await call(app, 'GET', '/v1/audit-log?organizationId=nope', {
      token: platformAdmin.token,
    });
    assert.equal(badOrg.status, 422);
  });
});
