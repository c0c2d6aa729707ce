import assert from 'node:assert/strict';
import { recordExclusionMatchReview } from '../../db/match-review-store';
import {
  type ChunkCounts,
  FIRST_EMPLOYEE_ID,
  nextChunk,
  resolveLapsedMatches,
  screenAddedExclusions,
  screenChunk,
} from '../../db/screening-store';
import { query } from '../../db/sql';
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
  realBusinessRows,
} from '../fixtures/screening';
import { createOrganization, createUser } from '../support/fixtures';
import { stack } from '../support/stack';

/** Runs the set-based screening of `scope` the way the activity does: resolve lapsed, then chunk by chunk. */
async function screen(scope: ScreeningScope, chunkSize = 4) {
  const sequelize = stack().sequelize;
  const total: ChunkCounts & { lapsed: number; chunks: number } = {
    opened: 0,
    matched: 0,
    resolved: 0,
    lapsed: await resolveLapsedMatches(sequelize, scope),
    chunks: 0,
  };
  let after = FIRST_EMPLOYEE_ID;
  for (;;) {
    const chunk = await nextChunk(sequelize, scope, after, chunkSize);
    if (!chunk) break;
    const counts = await screenChunk(sequelize, scope, chunk);
    total.chunks += 1;
    total.opened += counts.opened;
    total.matched += counts.matched;
    total.resolved += counts.resolved;
    if (chunk.upto === null) break;
    after = chunk.upto;
  }
  return total;
}

async function sql(text: string, bind: Record<string, unknown> = {}) {
  return query(stack().sequelize, text, bind);
}

describe('exclusion screening SQL (real Postgres, docs/spec.md §4.5)', () => {
  const tag = leieTag();
  let keys: Map<string, string>;
  const labelOfKey = () => new Map([...keys].map(([label, key]) => [key, label]));

  before(async () => {
    keys = await insertLeieRows([...LEIE_ROWS, ...realBusinessRows()], tag);
  });
  after(async () => deleteLeieRows(tag));

  it('matches exactly the crafted table: each tier, hyphens, suffixes, accents — and no near miss', async () => {
    const organization = await createOrganization();
    const people = await insertPeople(organization.id, PEOPLE);
    const result = await screen({ kind: 'organization', organizationId: organization.id });
    assert.ok(result.chunks >= 5, 'the roster was screened in several chunks');

    const labelOfPerson = new Map([...people].map(([label, id]) => [id, label]));
    const byKey = labelOfKey();
    const actual = (await matchesOf(organization.id, tag))
      .map((m) => [labelOfPerson.get(m.employee_id), byKey.get(m.exclusion_key), m.reason, Number(m.score)])
      .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    const expected = [...EXPECTED_MATCHES].sort((a, b) => a[0].localeCompare(b[0]));
    assert.deepEqual(actual, expected);
    assert.equal(result.opened, (await matchesOf(organization.id)).length);
    const statuses = new Set((await matchesOf(organization.id)).map((m) => m.status));
    assert.deepEqual([...statuses], ['open']);
  });

  it('the OIG-import probe (added keys against the roster indexes) finds exactly the same table', async () => {
    const organization = await createOrganization();
    const people = await insertPeople(organization.id, PEOPLE);
    const [check] = (await sql(
      `INSERT INTO oig_exclusions_check (trigger, status) VALUES ('manual', 'imported') RETURNING id`,
    )) as { id: string }[];
    const checkId = (check as { id: string }).id;
    await sql(
      `INSERT INTO oig_exclusion_changes (check_id, exclusion_key, change)
       SELECT $checkId, key, 'added' FROM unnest($keys::text[]) AS key`,
      { checkId, keys: [...keys.values()] },
    );
    const counts = await screenAddedExclusions(stack().sequelize, { kind: 'oig-import', checkId });
    assert.ok(counts && counts.opened >= EXPECTED_MATCHES.length);
    const labelOfPerson = new Map([...people].map(([label, id]) => [id, label]));
    const byKey = labelOfKey();
    const actual = (await matchesOf(organization.id, tag))
      .map((m) => [labelOfPerson.get(m.employee_id), byKey.get(m.exclusion_key), m.reason, Number(m.score)])
      .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    assert.deepEqual(
      actual,
      [...EXPECTED_MATCHES].sort((a, b) => a[0].localeCompare(b[0])),
    );
  });

  it('rescreening is idempotent: no duplicate, last_seen_at advances, nothing reopened', async () => {
    const organization = await createOrganization();
    await insertPeople(organization.id, PEOPLE);
    const scope: ScreeningScope = { kind: 'organization', organizationId: organization.id };
    await screen(scope);
    const first = await matchesOf(organization.id);
    const again = await screen(scope, 100);
    const second = await matchesOf(organization.id);
    assert.equal(again.opened, 0);
    assert.equal(again.matched, first.length);
    assert.deepEqual(
      second.map((m) => [m.id, m.status, m.first_detected_at.getTime()]),
      first.map((m) => [m.id, m.status, m.first_detected_at.getTime()]),
    );
    for (const [index, match] of second.entries()) {
      assert.ok(match.last_seen_at > (first[index] as { last_seen_at: Date }).last_seen_at);
    }
  });

  it('a dismissed match stays dismissed, and a confirmed one confirmed, on later screenings', async () => {
    const organization = await createOrganization();
    const people = await insertPeople(organization.id, PEOPLE);
    const scope: ScreeningScope = { kind: 'organization', organizationId: organization.id };
    await screen(scope);
    const dismissedEmployee = people.get('name-no-dob');
    const confirmedEmployee = people.get('name-dob');
    await sql(`UPDATE exclusion_matches SET status = 'dismissed' WHERE employee_id = $id`, {
      id: dismissedEmployee,
    });
    await sql(`UPDATE exclusion_matches SET status = 'confirmed' WHERE employee_id = $id`, {
      id: confirmedEmployee,
    });
    const again = await screen(scope);
    assert.equal(again.opened, 0);
    const after = await matchesOf(organization.id);
    assert.equal(after.find((m) => m.employee_id === dismissedEmployee)?.status, 'dismissed');
    assert.equal(after.find((m) => m.employee_id === confirmedEmployee)?.status, 'confirmed');
    assert.equal((await matchesOf(organization.id, tag)).length, EXPECTED_MATCHES.length);
  });

  it('resolves matches whose row left the list or was reinstated; dismissed ones stay dismissed', async () => {
    const ownTag = leieTag();
    const own = await insertLeieRows(
      [
        { label: 'leaves', lastname: 'FENWICK', firstname: 'ODILE', dob: '1961-01-01' },
        { label: 'reinstated-later', lastname: 'GALLOWAY', firstname: 'PERCY', dob: '1962-02-02' },
        { label: 'leaves-dismissed', lastname: 'HOLLIS', firstname: 'RUTH', dob: '1963-03-03' },
      ],
      ownTag,
    );
    try {
      const organization = await createOrganization();
      const people = await insertPeople(organization.id, [
        { label: 'leaves', firstName: 'Odile', lastName: 'Fenwick', dateOfBirth: '1961-01-01' },
        { label: 'reinstated-later', firstName: 'Percy', lastName: 'Galloway', dateOfBirth: '1962-02-02' },
        { label: 'leaves-dismissed', firstName: 'Ruth', lastName: 'Hollis', dateOfBirth: '1963-03-03' },
      ]);
      const scope: ScreeningScope = { kind: 'organization', organizationId: organization.id };
      assert.equal((await screen(scope)).opened, 3);
      await sql(`UPDATE exclusion_matches SET status = 'dismissed' WHERE employee_id = $id`, {
        id: people.get('leaves-dismissed'),
      });
      await sql('DELETE FROM oig_employees_exclusion WHERE exclusion_key = ANY($keys::text[])', {
        keys: [own.get('leaves'), own.get('leaves-dismissed')],
      });
      await sql(`UPDATE oig_employees_exclusion SET reindate = '2026-11-01' WHERE exclusion_key = $key`, {
        key: own.get('reinstated-later'),
      });

      const result = await screen(scope);
      assert.equal(result.lapsed, 2);
      assert.equal(result.opened, 0);
      const byEmployee = new Map((await matchesOf(organization.id)).map((m) => [m.employee_id, m]));
      assert.equal(byEmployee.get(people.get('leaves') as string)?.status, 'resolved');
      assert.equal(byEmployee.get(people.get('leaves') as string)?.resolution, 'removed_from_list');
      assert.equal(byEmployee.get(people.get('reinstated-later') as string)?.status, 'resolved');
      assert.equal(byEmployee.get(people.get('reinstated-later') as string)?.resolution, 'reinstated');
      assert.equal(byEmployee.get(people.get('leaves-dismissed') as string)?.status, 'dismissed');
    } finally {
      await deleteLeieRows(ownTag);
    }
  });

  it('an OIG import scope screens only the added keys, across organizations, and reopens a returning row', async () => {
    const ownTag = leieTag();
    const own = await insertLeieRows(
      [
        { label: 'added', lastname: 'IVERSEN', firstname: 'SIGRID', dob: '1964-04-04' },
        { label: 'not-in-this-import', lastname: 'JANSSEN', firstname: 'TOBIAS', dob: '1965-05-05' },
      ],
      ownTag,
    );
    try {
      const [orgA, orgB] = [await createOrganization(), await createOrganization()];
      const a = await insertPeople(orgA.id, [
        { label: 'added', firstName: 'Sigrid', lastName: 'Iversen', dateOfBirth: '1964-04-04' },
        { label: 'other', firstName: 'Tobias', lastName: 'Janssen', dateOfBirth: '1965-05-05' },
      ]);
      const b = await insertPeople(orgB.id, [
        { label: 'added', firstName: 'Sigrid', lastName: 'Iversen', dateOfBirth: null },
      ]);
      const [check] = (await sql(
        `INSERT INTO oig_exclusions_check (trigger, status) VALUES ('manual', 'imported') RETURNING id`,
      )) as { id: string }[];
      const checkId = (check as { id: string }).id;
      await sql(
        `INSERT INTO oig_exclusion_changes (check_id, exclusion_key, change) VALUES ($checkId, $key, 'added')`,
        { checkId, key: own.get('added') },
      );
      const scope: ScreeningScope = { kind: 'oig-import', checkId };
      const result = await screen(scope, 50_000);
      assert.ok(result.opened >= 2);
      const matchesA = await matchesOf(orgA.id);
      const matchesB = await matchesOf(orgB.id);
      assert.deepEqual(
        matchesA.map((m) => [m.employee_id, m.exclusion_key, m.reason]),
        [[a.get('added'), own.get('added'), 'name_dob']],
      );
      assert.deepEqual(
        matchesB.map((m) => [m.employee_id, m.exclusion_key, m.reason]),
        [[b.get('added'), own.get('added'), 'name']],
      );

      // The row leaves the list (a later import removes it), then comes back: the match reopens.
      await sql('UPDATE exclusion_matches SET alerted_at = now() WHERE organization_id = $orgId', {
        orgId: orgA.id,
      });
      await sql('DELETE FROM oig_employees_exclusion WHERE exclusion_key = $key', { key: own.get('added') });
      await screen(scope, 50_000);
      assert.equal((await matchesOf(orgA.id))[0]?.resolution, 'removed_from_list');
      await insertLeieRows(
        [{ label: 'added', lastname: 'IVERSEN', firstname: 'SIGRID', dob: '1964-04-04' }],
        ownTag,
      );
      const back = await screen(scope, 50_000);
      assert.ok(back.opened >= 2);
      const [reopened] = await matchesOf(orgA.id);
      assert.equal(reopened?.status, 'open');
      assert.equal(reopened?.resolution, null);
      assert.equal(reopened?.alerted_at, null, 'a reopened match is alerted again');
    } finally {
      await deleteLeieRows(ownTag);
    }
  });

  it('resolves an open match that no longer matches after the person is corrected, and keeps inactive people’s matches', async () => {
    const organization = await createOrganization();
    const people = await insertPeople(organization.id, [
      { label: 'corrected', firstName: 'Lucille', lastName: 'Pemberton', dateOfBirth: '1965-03-14' },
      { label: 'leaves-company', firstName: 'Ramona', lastName: 'Vasquez', dateOfBirth: null },
    ]);
    const scope: ScreeningScope = { kind: 'organization', organizationId: organization.id };
    assert.equal((await screen(scope)).opened, 2);
    await sql(`UPDATE employees SET date_of_birth = '1966-03-14' WHERE id = $id`, {
      id: people.get('corrected'),
    });
    await sql(`UPDATE employees SET status = 'inactive' WHERE id = $id`, {
      id: people.get('leaves-company'),
    });
    const result = await screen(scope);
    assert.equal(result.resolved, 1);
    const byEmployee = new Map((await matchesOf(organization.id)).map((m) => [m.employee_id, m]));
    assert.equal(byEmployee.get(people.get('corrected') as string)?.resolution, 'no_longer_matches');
    assert.equal(byEmployee.get(people.get('leaves-company') as string)?.status, 'open');
  });

  it('keeps open a match a reviewer reopened, when the person no longer matches (a decision survives rescreens)', async () => {
    const organization = await createOrganization();
    const reviewer = await createUser();
    const people = await insertPeople(organization.id, [
      { label: 'reopened', firstName: 'Lucille', lastName: 'Pemberton', dateOfBirth: '1965-03-14' },
    ]);
    const scope: ScreeningScope = { kind: 'organization', organizationId: organization.id };
    assert.equal((await screen(scope)).opened, 1);
    const [match] = await matchesOf(organization.id);
    for (const status of ['dismissed', 'open'] as const) {
      const review = { organizationId: organization.id, id: match?.id as string, userId: reviewer.user.id };
      const outcome = await recordExclusionMatchReview(stack().sequelize, {
        ...review,
        status,
        note: `${status} by the reviewer`,
      });
      assert.equal(outcome.kind, 'reviewed');
    }
    await sql(`UPDATE employees SET date_of_birth = '1966-03-14' WHERE id = $id`, {
      id: people.get('reopened'),
    });
    const result = await screen(scope);
    assert.equal(result.resolved, 0);
    const [after] = await matchesOf(organization.id);
    assert.deepEqual([after?.status, after?.resolution], ['open', null], 'the reopen stands');
  });

  it('employee and import scopes screen only their people', async () => {
    const organization = await createOrganization();
    const [importRow] = (await sql(
      `INSERT INTO roster_imports (organization_id, kind, source_bucket, source_key, format)
       VALUES ($orgId, 'employees', 'b', 'k', 'csv') RETURNING id`,
      { orgId: organization.id },
    )) as { id: string }[];
    const importId = (importRow as { id: string }).id;
    const imported = await insertPeople(
      organization.id,
      [{ label: 'imported', firstName: 'Lucille', lastName: 'Pemberton', dateOfBirth: '1965-03-14' }],
      { importId },
    );
    const manual = await insertPeople(organization.id, [
      { label: 'manual', firstName: 'Renée', lastName: 'Bruckner', dateOfBirth: '1990-09-09' },
      { label: 'untouched', firstName: 'George', lastName: 'Washington', dateOfBirth: '1960-01-01' },
    ]);
    await screen({ kind: 'import', organizationId: organization.id, importId });
    assert.deepEqual(
      (await matchesOf(organization.id)).map((m) => m.employee_id),
      [imported.get('imported')],
    );
    await screen({
      kind: 'employees',
      organizationId: organization.id,
      employeeIds: [manual.get('manual') as string],
    });
    const screened = new Set((await matchesOf(organization.id)).map((m) => m.employee_id));
    assert.ok(screened.has(manual.get('manual') as string));
    assert.ok(!screened.has(manual.get('untouched') as string));
    // Another organization's ids in an employees scope are ignored.
    const other = await createOrganization();
    const result = await screen({
      kind: 'employees',
      organizationId: other.id,
      employeeIds: [manual.get('untouched') as string],
    });
    assert.equal(result.matched, 0);
  });
});
