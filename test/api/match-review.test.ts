import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { query } from '../../db/sql';
import { NOTE_MAX_LENGTH } from '../../domain/match-review';
import { generateLeieRows } from '../../scripts/generate-leie';
import { insertPeople } from '../fixtures/screening';
import { auditTrail, createMember, createOrganization } from '../support/fixtures';
import { call } from '../support/http';
import { clearLeieList, leieIndividual, loadLeieList, rescreenOrganization } from '../support/leie-lists';
import { OigSiteStub } from '../support/oig-site-stub';
import { stack } from '../support/stack';

const FILLER = [...generateLeieRows(12, 7)];
const PEMBERTON = leieIndividual('PEMBERTON', 'LUCILLE', '19650314');
const VASQUEZ = leieIndividual('VASQUEZ', 'RAMONA', '19900101');
const HARGROVE = leieIndividual('HARGROVE', 'DENNIS', '19700101');

describe('exclusion match review trail (docs/spec.md §10)', function () {
  this.timeout(120_000);
  let site: OigSiteStub;
  before(async () => {
    site = await OigSiteStub.start();
    await clearLeieList();
  });
  after(async () => {
    await clearLeieList();
    await site.close();
  });

  it('reviews a match through its statuses; decisions survive a rescreen and a list reload; every change is in the history', async () => {
    const organization = await createOrganization();
    const admin = await createMember(organization.id, 'admin');
    const people = await insertPeople(organization.id, [
      { label: 'pemberton', firstName: 'Lucille', lastName: 'Pemberton', dateOfBirth: '1965-03-14' },
      { label: 'vasquez', firstName: 'Ramona', lastName: 'Vasquez', dateOfBirth: null },
      { label: 'hargrove', firstName: 'Dennis', lastName: 'Hargrove', dateOfBirth: '1970-01-01' },
    ]);
    await loadLeieList(site, [...FILLER, PEMBERTON, VASQUEZ, HARGROVE], '11-10-2026');

    const app = stack().createApp();
    const base = `/v1/organizations/${organization.id}/exclusion-matches`;
    const list = async () => {
      const response = await call(app, 'GET', `${base}?limit=200`, { token: admin.token });
      assert.equal(response.status, 200);
      return new Map<string, any>(response.body.items.map((item: any) => [item.employee.id, item]));
    };
    const matches = await list();
    assert.equal(matches.size, 3);
    const confirmed = matches.get(people.get('pemberton') as string);
    const dismissed = matches.get(people.get('vasquez') as string);
    const lapsing = matches.get(people.get('hargrove') as string);
    const patch = (id: string, json: unknown) =>
      call(app, 'PATCH', `${base}/${id}`, { token: admin.token, json });

    const review = await patch(confirmed.id, { status: 'under_review' });
    assert.equal(review.status, 200, JSON.stringify(review.body));
    assert.equal(review.body.status, 'under_review');
    const decided = await patch(confirmed.id, {
      status: 'confirmed',
      note: '  Same person: licence checked  ',
    });
    assert.equal(decided.status, 200);
    assert.equal(decided.body.status, 'confirmed');
    assert.equal(decided.body.note, 'Same person: licence checked');
    assert.equal(
      (await patch(dismissed.id, { status: 'dismissed', note: 'Different DOB on file' })).status,
      200,
    );

    await rescreenOrganization(organization.id, admin.token);
    // The reload keeps Pemberton and Vasquez (same keys) and drops Hargrove.
    await loadLeieList(
      site,
      [...FILLER, PEMBERTON, VASQUEZ, leieIndividual('QUILL', 'OTTO', '19500505')],
      '12-10-2026',
    );
    const after = await list();
    assert.equal(after.get(people.get('pemberton') as string).status, 'confirmed');
    assert.equal(after.get(people.get('pemberton') as string).note, 'Same person: licence checked');
    assert.equal(after.get(people.get('vasquez') as string).status, 'dismissed');
    assert.equal(after.get(people.get('hargrove') as string).status, 'resolved');
    assert.equal(after.get(people.get('hargrove') as string).resolution, 'removed_from_list');

    const one = await call(app, 'GET', `${base}/${confirmed.id}`, { token: admin.token });
    assert.equal(one.status, 200);
    assert.equal(one.body.id, confirmed.id);
    const actor = { userId: admin.user.id, name: admin.user.name, email: admin.user.email };
    assert.deepEqual(
      one.body.history.map(({ at, ...event }: any) => event),
      [
        { actor: null, from: null, to: 'open', note: null, resolution: null },
        { actor, from: 'open', to: 'under_review', note: null, resolution: null },
        {
          actor,
          from: 'under_review',
          to: 'confirmed',
          note: 'Same person: licence checked',
          resolution: null,
        },
      ],
    );
    const times = one.body.history.map((event: any) => Date.parse(event.at));
    assert.deepEqual(
      [...times].sort((a, b) => a - b),
      times,
    );

    const lapsed = await call(app, 'GET', `${base}/${lapsing.id}`, { token: admin.token });
    assert.deepEqual(lapsed.body.history.at(-1), {
      ...lapsed.body.history.at(-1),
      actor: null,
      from: 'open',
      to: 'resolved',
      resolution: 'removed_from_list',
    });

    // Reopening a closed match needs a note.
    const bare = await patch(confirmed.id, { status: 'open' });
    assert.equal(bare.status, 422);
    assert.deepEqual(
      bare.body.errors.map((e: any) => e.path),
      ['note'],
    );
    const reopened = await patch(confirmed.id, { status: 'open', note: 'Licence board says otherwise' });
    assert.equal(reopened.status, 200);
    assert.deepEqual(reopened.body.history.at(-1), {
      at: reopened.body.history.at(-1).at,
      actor,
      from: 'confirmed',
      to: 'open',
      note: 'Licence board says otherwise',
      resolution: null,
    });
    const resolvedReopen = await patch(lapsing.id, { status: 'open', note: 'Still on the state list' });
    assert.equal(resolvedReopen.status, 200);

    const audit = (await auditTrail(organization.id)).filter((row) => row.entity_id === confirmed.id);
    assert.deepEqual(
      audit.map((row) => row.action),
      ['exclusion_match.under_review', 'exclusion_match.confirmed', 'exclusion_match.open'],
    );
    assert.ok(audit.every((row) => !JSON.stringify(row.details).includes('licence')));
  });

  it('refuses a decision without a note, a note over the cap, moves the status does not allow, and unknown ids', async () => {
    const organization = await createOrganization();
    const admin = await createMember(organization.id, 'admin');
    const people = await insertPeople(organization.id, [
      { label: 'p', firstName: 'Lucille', lastName: 'Pemberton', dateOfBirth: '1965-03-14' },
    ]);
    await clearLeieList();
    await loadLeieList(site, [...FILLER, PEMBERTON], '01-10-2027');
    await rescreenOrganization(organization.id, admin.token);
    const [match] = await query<{ id: string }>(
      stack().sequelize,
      'SELECT id FROM exclusion_matches WHERE employee_id = $id',
      { id: people.get('p') },
    );
    assert.ok(match, 'the person matches the loaded list');
    const app = stack().createApp();
    const base = `/v1/organizations/${organization.id}/exclusion-matches`;
    const patch = (json: unknown, id = match.id) =>
      call(app, 'PATCH', `${base}/${id}`, { token: admin.token, json });

    for (const body of [
      { status: 'confirmed' },
      { status: 'dismissed', note: null },
      { status: 'dismissed', note: ' \n\t ' },
      { status: 'dismissed', note: 'x'.repeat(10_000) },
      { status: 'confirmed', note: 'x'.repeat(NOTE_MAX_LENGTH + 1) },
    ]) {
      const response = await patch(body);
      assert.equal(response.status, 422, JSON.stringify(body).slice(0, 60));
      assert.equal(response.headers.get('content-type'), 'application/problem+json');
      assert.deepEqual(
        response.body.errors.map((e: any) => e.path),
        ['note'],
      );
    }
    const unknownStatus = await patch({ status: 'maybe', note: 'x' });
    assert.equal(unknownStatus.status, 422);
    assert.deepEqual(
      unknownStatus.body.errors.map((e: any) => e.path),
      ['status'],
    );

    const same = await patch({ status: 'open' });
    assert.equal(same.status, 409);
    assert.match(same.body.detail, /allowed: under_review, confirmed, dismissed/);
    assert.equal((await patch({ status: 'dismissed', note: 'Different person' })).status, 200);
    const notAllowed = await patch({ status: 'confirmed', note: 'changed my mind' });
    assert.equal(notAllowed.status, 409);
    assert.match(notAllowed.body.detail, /allowed: open\./);
    const resolve = await patch({ status: 'resolved', note: 'gone' });
    assert.equal(resolve.status, 409);

    const other = await createOrganization();
    const outsider = await createMember(other.id, 'owner');
    const foreign = await call(app, 'GET', `/v1/organizations/${other.id}/exclusion-matches/${match.id}`, {
      token: outsider.token,
    });
    assert.equal(foreign.status, 404);
    assert.equal((await call(app, 'GET', `${base}/${randomUUID()}`, { token: admin.token })).status, 404);
    assert.equal((await patch({ status: 'dismissed', note: 'x' }, randomUUID())).status, 404);
    const malformed = await call(app, 'GET', `${base}/not-a-uuid`, { token: admin.token });
    assert.equal(malformed.status, 422);
    const member = await createMember(organization.id, 'member');
    assert.equal((await call(app, 'GET', `${base}/${match.id}`, { token: member.token })).status, 403);
  });
});
