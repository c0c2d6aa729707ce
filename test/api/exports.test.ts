import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import { execute } from '../../db/sql';
import { EMPLOYEE_CSV_COLUMNS, MATCH_CSV_COLUMNS } from '../../services/csv-exports';
import { insertPeople } from '../fixtures/screening';
import { createMember, createOrganization } from '../support/fixtures';
import { call } from '../support/http';
import { stack } from '../support/stack';

// Values a spreadsheet would run, and values that only need quoting (docs/spec.md §4.2, §10).
const HOSTILE: [given: string, exported: string][] = [
  ['=HYPERLINK("http://evil.test","x")', `'=HYPERLINK("http://evil.test","x")`],
  ['+1555', `'+1555`],
  ['-2+3', `'-2+3`],
  ['@SUM(A1:A2)', `'@SUM(A1:A2)`],
  ['\tTabbed', `'\tTabbed`],
  ['Line\nBreak', 'Line\nBreak'],
  ['Mid=dle, "quoted"', 'Mid=dle, "quoted"'],
];

const records = (text: string) =>
  parse(text, { columns: true, relax_column_count: false }) as Record<string, string>[];

describe('CSV exports, streamed and neutralized (docs/spec.md §10)', () => {
  it('GET …/employees.csv: every person matching the list’s filters, formula cells neutralized, over many pages', async () => {
    const organization = await createOrganization();
    const member = await createMember(organization.id, 'member');
    const people = await insertPeople(
      organization.id,
      HOSTILE.map(([given], index) => ({
        label: `h${index}`,
        firstName: given,
        lastName: `Hostile${index}`,
      })),
    );
    // Enough people for several export pages (1000 rows each).
    await execute(
      stack().sequelize,
      `INSERT INTO employees (organization_id, kind, external_id, first_name, last_name, first_name_norm, last_name_norm,
         status)
       SELECT $orgId, 'caregiver', 'C-' || n, 'Care', 'Giver' || n, 'CARE', 'GIVER' || n,
         CASE WHEN n % 10 = 0 THEN 'inactive' ELSE 'active' END
       FROM generate_series(1, 2345) n`,
      { orgId: organization.id },
    );
    const app = stack().createApp();
    const base = `/v1/organizations/${organization.id}/employees.csv`;

    const all = await call(app, 'GET', base, { token: member.token });
    assert.equal(all.status, 200);
    assert.equal(all.headers.get('content-type'), 'text/csv; charset=utf-8');
    assert.match(all.headers.get('content-disposition') ?? '', /^attachment; filename="employees-.*\.csv"$/);
    assert.ok(all.body.startsWith(`"${EMPLOYEE_CSV_COLUMNS.join('","')}"\r\n`));
    const rows = records(all.body);
    assert.equal(rows.length, HOSTILE.length + 2345);
    assert.equal(new Set(rows.map((row) => row.id)).size, rows.length);
    for (const [index, [, exported]] of HOSTILE.entries()) {
      const row = rows.find((r) => r.id === people.get(`h${index}`));
      assert.equal(row?.firstName, exported, JSON.stringify(HOSTILE[index]));
      // Never compared against a list: not clear (docs/features.md, "Empty is not clear").
      assert.equal(row?.exclusionStatus, 'not_screened');
      assert.equal(row?.lastScreenedAt, '');
    }

    const list = async (query: string) => {
      const response = await call(app, 'GET', `${base}?${query}`, { token: member.token });
      assert.equal(response.status, 200);
      return records(response.body);
    };
    assert.equal((await list('kind=employee')).length, HOSTILE.length);
    assert.equal((await list('kind=caregiver&status=inactive')).length, 234);
    assert.deepEqual(
      (await list('q=Hostile3')).map((row) => row.id),
      [people.get('h3')],
    );
    assert.equal((await list('exclusionStatus=excluded')).length, 0);
    assert.equal((await list('exclusionStatus=clear')).length, 0);
    assert.equal((await list('exclusionStatus=not_screened')).length, HOSTILE.length + 2345);

    for (const query of ['exclusionStatus=unknown', 'kind=robot', 'npi=123']) {
      const bad = await call(app, 'GET', `${base}?${query}`, { token: member.token });
      assert.equal(bad.status, 422, query);
      assert.equal(bad.headers.get('content-type'), 'application/problem+json');
    }
    const outsider = await createMember((await createOrganization()).id, 'owner');
    assert.equal((await call(app, 'GET', base, { token: outsider.token })).status, 404);
  });

  it('GET …/exclusion-matches.csv: the matches with their review, notes neutralized, for org admins', async () => {
    const organization = await createOrganization();
    const admin = await createMember(organization.id, 'admin');
    const people = await insertPeople(
      organization.id,
      HOSTILE.map(([given], index) => ({ label: `h${index}`, firstName: given, lastName: 'Doe' })),
    );
    for (const [index, [given]] of HOSTILE.entries()) {
      await execute(
        stack().sequelize,
        `INSERT INTO exclusion_matches (organization_id, employee_id, exclusion_key, reason, score, status, note,
           reviewed_at)
         VALUES ($orgId, $employeeId, $key, 'name', 0.60, $status, $note, CASE WHEN $note::text IS NULL THEN NULL ELSE now() END)`,
        {
          orgId: organization.id,
          employeeId: people.get(`h${index}`),
          key: `export-test/${randomUUID()}`,
          status: index % 2 === 0 ? 'dismissed' : 'open',
          note: index % 2 === 0 ? given : null,
        },
      );
    }
    const app = stack().createApp();
    const base = `/v1/organizations/${organization.id}/exclusion-matches.csv`;
    const response = await call(app, 'GET', base, { token: admin.token });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/csv; charset=utf-8');
    assert.ok(response.body.startsWith(`"${MATCH_CSV_COLUMNS.join('","')}"\r\n`));
    const rows = records(response.body);
    assert.equal(rows.length, HOSTILE.length);
    for (const [index, [, exported]] of HOSTILE.entries()) {
      const row = rows.find((r) => r.employeeId === people.get(`h${index}`));
      assert.equal(row?.employeeFirstName, exported);
      assert.equal(row?.note, index % 2 === 0 ? exported : '');
      assert.equal(row?.reason, 'name');
      assert.equal(row?.score, '0.6');
    }
    const dismissed = records(
      (await call(app, 'GET', `${base}?status=dismissed`, { token: admin.token })).body,
    );
    assert.equal(dismissed.length, Math.ceil(HOSTILE.length / 2));
    assert.ok(dismissed.every((row) => row.status === 'dismissed'));

    assert.equal((await call(app, 'GET', `${base}?status=maybe`, { token: admin.token })).status, 422);
    assert.ok(rows.every((row) => row.source === 'leie'));
    const member = await createMember(organization.id, 'member');
    assert.equal((await call(app, 'GET', base, { token: member.token })).status, 403);
  });

  it('GET …/exclusion-matches.csv: each row names its list, and a SAM match carries its record', async () => {
    const organization = await createOrganization();
    const admin = await createMember(organization.id, 'admin');
    const people = await insertPeople(organization.id, [{ label: 'p', firstName: 'Jane', lastName: 'Roe' }]);
    const key = `export-test/${randomUUID()}`;
    await execute(
      stack().sequelize,
      `INSERT INTO exclusion_source_records (source, exclusion_key, entity_kind, first_name, last_name, npi,
         exclusion_type, starts_on, ends_on, last_name_norm, first_name_norm, full_name_norm, search_norm)
       VALUES ('sam', $key, 'individual', 'JANE', 'ROE', '1234567893', 'Prohibition/Restriction',
         '2024-03-01', '2031-02-28', 'ROE', 'JANE', 'JANE ROE', 'JANE ROE')`,
      { key },
    );
    await execute(
      stack().sequelize,
      `INSERT INTO exclusion_matches (organization_id, employee_id, source, exclusion_key, reason, score)
       VALUES ($orgId, $employeeId, 'sam', $key, 'name', 0.60)`,
      { orgId: organization.id, employeeId: people.get('p'), key },
    );
    const response = await call(
      stack().createApp(),
      'GET',
      `/v1/organizations/${organization.id}/exclusion-matches.csv`,
      { token: admin.token },
    );
    assert.equal(response.status, 200);
    const [row] = records(response.body);
    assert.deepEqual(
      [
        row?.source,
        row?.exclusionKey,
        row?.exclusionLastName,
        row?.exclusionFirstName,
        row?.exclusionNpi,
        row?.exclusionType,
        row?.exclusionDate,
        row?.reinstatementDate,
        row?.exclusionEndsOn,
      ],
      ['sam', key, 'ROE', 'JANE', '1234567893', 'Prohibition/Restriction', '2024-03-01', '', '2031-02-28'],
    );
  });
});
