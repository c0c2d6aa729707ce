import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { FIRST_EMPLOYEE_ID, nextChunk, resolveLapsedMatches, screenChunk } from '../../db/screening-store';
import { execute, query } from '../../db/sql';
import type { ScreeningScope } from '../../lib/workflow-contracts';
import {
  deleteLeieRows,
  EXPECTED_MATCHES,
  insertLeieRows,
  insertPeople,
  LEIE_ROWS,
  leieTag,
  matchesOf,
  PEOPLE,
} from '../fixtures/screening';
import { createMember, createOrganization } from '../support/fixtures';
import { call } from '../support/http';
import { stack } from '../support/stack';

/** Screens an organization directly in SQL (the workflow's own tests cover the workflow). */
async function screenOrganization(organizationId: string) {
  const scope: ScreeningScope = { kind: 'organization', organizationId };
  await resolveLapsedMatches(stack().sequelize, scope);
  let after = FIRST_EMPLOYEE_ID;
  for (;;) {
    const chunk = await nextChunk(stack().sequelize, scope, after, 1000);
    if (!chunk) return;
    await screenChunk(stack().sequelize, scope, chunk);
    if (chunk.upto === null) return;
    after = chunk.upto;
  }
}

describe('exclusion matches API', () => {
  const tag = leieTag();
  let keys: Map<string, string>;
  before(async () => {
    keys = await insertLeieRows(LEIE_ROWS, tag);
  });
  after(async () => deleteLeieRows(tag));

  async function screenedOrganization() {
    const organization = await createOrganization();
    const admin = await createMember(organization.id, 'admin');
    const people = await insertPeople(organization.id, PEOPLE);
    await screenOrganization(organization.id);
    return { organization, admin, people };
  }

  it('lists matches with the employee, the LEIE row, the reason, the score and the waiver', async () => {
    const { organization, admin, people } = await screenedOrganization();
    const app = stack().createApp();
    const response = await call(
      app,
      'GET',
      `/v1/organizations/${organization.id}/exclusion-matches?limit=200`,
      {
        token: admin.token,
      },
    );
    assert.equal(response.status, 200);
    assert.equal(response.body.items.length, (await matchesOf(organization.id)).length);
    assert.equal((await matchesOf(organization.id, tag)).length, EXPECTED_MATCHES.length);
    assert.equal(response.body.nextCursor, null);

    const waived = response.body.items.find((item: any) => item.employee.id === people.get('waived'));
    assert.equal(waived.reason, 'name_dob');
    assert.equal(waived.score, 0.95);
    assert.equal(waived.status, 'open');
    assert.equal(waived.exclusionKey, keys.get('waived'));
    assert.deepEqual(waived.waiver, { date: '2021-03-01', state: 'OH' });
    assert.deepEqual(
      { ...waived.employee, externalId: undefined },
      {
        id: people.get('waived'),
        kind: 'employee',
        externalId: undefined,
        firstName: 'Halina',
        middleName: null,
        lastName: 'Zbigniewska',
        dateOfBirth: '1968-06-06',
        npi: null,
        status: 'active',
      },
    );
    assert.deepEqual(waived.exclusion, {
      exclusionKey: keys.get('waived'),
      lastname: 'ZBIGNIEWSKA',
      firstname: 'HALINA',
      midname: null,
      busname: null,
      general: 'NURSE/NURSES AIDE',
      specialty: null,
      upin: null,
      npi: '0000000000',
      dob: '1968-06-06',
      address: null,
      city: null,
      state: 'TX',
      zip: null,
      excltype: '1128b4',
      excldate: '2019-04-18',
      reindate: null,
      waiverdate: '2021-03-01',
      wvrstate: 'OH',
    });
    const byNpi = response.body.items.find((item: any) => item.employee.id === people.get('npi'));
    assert.equal(byNpi.reason, 'npi');
    assert.equal(byNpi.score, 1);
    assert.equal(byNpi.waiver, null);
  });

  it('pages with a cursor and filters by status; marks inactive people', async () => {
    const { organization, admin, people } = await screenedOrganization();
    await execute(stack().sequelize, `UPDATE employees SET status = 'inactive' WHERE id = $id`, {
      id: people.get('suffix'),
    });
    const app = stack().createApp();
    const base = `/v1/organizations/${organization.id}/exclusion-matches`;
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `&cursor=${cursor}` : '';
      const response = await call(app, 'GET', `${base}?status=open&limit=5${query}`, { token: admin.token });
      assert.equal(response.status, 200);
      assert.ok(response.body.items.length <= 5);
      seen.push(...response.body.items.map((item: any) => item.id));
      cursor = response.body.nextCursor;
    } while (cursor);
    assert.equal(seen.length, (await matchesOf(organization.id)).length);
    assert.equal(new Set(seen).size, seen.length);

    const dismissed = await call(app, 'GET', `${base}?status=dismissed`, { token: admin.token });
    assert.deepEqual(dismissed.body.items, []);
    const all = await call(app, 'GET', `${base}?limit=200`, { token: admin.token });
    const inactive = all.body.items.find((item: any) => item.employee.id === people.get('suffix'));
    assert.equal(inactive.status, 'open');
    assert.equal(inactive.employee.status, 'inactive');

    const bad = await call(app, 'GET', `${base}?status=maybe`, { token: admin.token });
    assert.equal(bad.status, 422);
    assert.equal(bad.body.errors[0].path, 'query.status');
  });

  it('is for org admins only: members get 403, other organizations 404', async () => {
    const { organization } = await screenedOrganization();
    const member = await createMember(organization.id, 'member');
    const outsider = await createMember((await createOrganization()).id, 'owner');
    const app = stack().createApp();
    const path = `/v1/organizations/${organization.id}/exclusion-matches`;
    assert.equal((await call(app, 'GET', path, { token: member.token })).status, 403);
    assert.equal((await call(app, 'GET', path, { token: outsider.token })).status, 404);
    assert.equal((await call(app, 'GET', path)).status, 401);
  });

  it('PATCH dismisses with a note, writes the audit row, and the dismissal survives a rescreen', async () => {
    const { organization, admin, people } = await screenedOrganization();
    const app = stack().createApp();
    const [match] = (await matchesOf(organization.id)).filter(
      (m) => m.employee_id === people.get('name-no-dob'),
    );
    assert.ok(match);
    const path = `/v1/organizations/${organization.id}/exclusion-matches/${match.id}`;
    const response = await call(app, 'PATCH', path, {
      token: admin.token,
      json: { status: 'dismissed', note: 'Different person: SSN checked' },
    });
    assert.equal(response.status, 200);
    assert.equal(response.body.status, 'dismissed');
    assert.equal(response.body.note, 'Different person: SSN checked');
    assert.equal(response.body.reviewedBy, admin.user.id);
    assert.ok(Date.parse(response.body.reviewedAt) > Date.now() - 60_000);

    const audit = await query<any>(
      stack().sequelize,
      'SELECT * FROM audit_log WHERE entity_type = $type AND entity_id = $id',
      { type: 'exclusion_match', id: match.id },
    );
    assert.equal(audit.length, 1);
    assert.equal(audit[0].actor_user_id, admin.user.id);
    assert.equal(audit[0].action, 'exclusion_match.dismissed');
    assert.equal(audit[0].organization_id, organization.id);
    assert.ok(audit[0].at instanceof Date);
    assert.equal(audit[0].details.previousStatus, 'open');
    assert.ok(!JSON.stringify(audit[0].details).includes('SSN'), 'the note stays out of the audit log');

    await screenOrganization(organization.id);
    const after = (await matchesOf(organization.id)).find((m) => m.id === match.id);
    assert.equal(after?.status, 'dismissed');

    const reopened = await call(app, 'PATCH', path, {
      token: admin.token,
      json: { status: 'open', note: 'Second look' },
    });
    assert.equal(reopened.status, 200);
    assert.equal(reopened.body.status, 'open');
    assert.equal(reopened.body.note, 'Second look');
  });

  it('PATCH refuses unknown statuses (422), other organizations’ matches (404) and moves a resolved match does not allow (409)', async () => {
    const { organization, admin } = await screenedOrganization();
    const other = await screenedOrganization();
    const app = stack().createApp();
    const [match] = await matchesOf(organization.id);
    const [foreign] = await matchesOf(other.organization.id);
    assert.ok(match && foreign);
    const base = `/v1/organizations/${organization.id}/exclusion-matches`;
    const invalid = await call(app, 'PATCH', `${base}/${match.id}`, {
      token: admin.token,
      json: { status: 'closed' },
    });
    assert.equal(invalid.status, 422);
    assert.equal(invalid.body.errors[0].path, 'status');
    const missing = await call(app, 'PATCH', `${base}/${foreign.id}`, {
      token: admin.token,
      json: { status: 'dismissed', note: 'x' },
    });
    assert.equal(missing.status, 404);
    await execute(
      stack().sequelize,
      `UPDATE exclusion_matches SET status = 'resolved', resolution = 'reinstated' WHERE id = $id`,
      { id: match.id },
    );
    const resolved = await call(app, 'PATCH', `${base}/${match.id}`, {
      token: admin.token,
      json: { status: 'confirmed', note: 'x' },
    });
    assert.equal(resolved.status, 409);
  });

  it('POST …/exclusion-screenings answers 202 and the started workflow screens the organization', async () => {
    const organization = await createOrganization();
    const admin = await createMember(organization.id, 'admin');
    await insertPeople(organization.id, PEOPLE);
    const taskQueue = `screening-api-${randomUUID()}`;
    const app = stack().createApp({ TEMPORAL_TASK_QUEUE: taskQueue });
    const response = await call(app, 'POST', `/v1/organizations/${organization.id}/exclusion-screenings`, {
      token: admin.token,
    });
    assert.equal(response.status, 202);
    assert.equal(response.body.organizationId, organization.id);
    assert.equal(response.body.workflowId, `exclusion-screening/organization/${organization.id}`);
    assert.equal(
      response.body.links.self,
      `/v1/organizations/${organization.id}/exclusion-screenings/${response.body.id}`,
    );
    assert.match(response.body.links.temporalUi, /\/workflows\/exclusion-screening%2Forganization%2F/);

    const worker = await stack().createWorker(taskQueue);
    const result = await worker.runUntil(
      stack().temporal.workflow.getHandle(response.body.workflowId).result(),
    );
    assert.equal(result.matchesOpened, (await matchesOf(organization.id)).length);
    assert.equal((await matchesOf(organization.id, tag)).length, EXPECTED_MATCHES.length);

    const member = await createMember(organization.id, 'member');
    const forbidden = await call(app, 'POST', `/v1/organizations/${organization.id}/exclusion-screenings`, {
      token: member.token,
    });
    assert.equal(forbidden.status, 403);
  });
});
