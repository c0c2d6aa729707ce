import assert from 'node:assert/strict';
import { parse } from 'csv-parse/sync';
import { extractText, getDocumentProxy } from 'unpdf';
import { query } from '../../db/sql';
import { generateLeieRows } from '../../scripts/generate-leie';
import { REPORT_CSV_COLUMNS } from '../../services/screening-report';
import { insertPeople } from '../fixtures/screening';
import { createMember, createOrganization } from '../support/fixtures';
import { call } from '../support/http';
import { clearLeieList, leieIndividual, loadLeieList, rescreenOrganization } from '../support/leie-lists';
import { OigSiteStub } from '../support/oig-site-stub';
import { stack } from '../support/stack';

const FILLER = [...generateLeieRows(12, 11)];
const PEMBERTON = leieIndividual('PEMBERTON', 'LUCILLE', '19650314');
const VASQUEZ = leieIndividual('VASQUEZ', 'RAMONA', '19900101');

async function pdfText(bytes: ArrayBuffer): Promise<string> {
  const pdf = await getDocumentProxy(new Uint8Array(bytes));
  const { text } = await extractText(pdf, { mergePages: true });
  return text;
}

const thisMonth = () => {
  const now = new Date();
  const from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const to = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 0));
  return { from: from.toISOString().slice(0, 10), to: to.toISOString().slice(0, 10) };
};

describe('screening report: JSON, CSV and PDF (docs/spec.md §10)', function () {
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

  it('certifies a month that spans a list reload: both versions, the runs, every person with their result, totals; the CSV and the PDF say the same', async () => {
    const organization = await createOrganization('Report Home Care');
    const admin = await createMember(organization.id, 'admin');
    const people = await insertPeople(organization.id, [
      { label: 'confirmed', firstName: 'Lucille', lastName: 'Pemberton', dateOfBirth: '1965-03-14' },
      { label: 'dismissed', firstName: 'Ramona', lastName: 'Vasquez', dateOfBirth: null },
      { label: 'clear', firstName: 'Ottoline', lastName: 'Brackenbury', dateOfBirth: '1971-07-21' },
      { label: 'hostile', firstName: '=HYPERLINK("x")', lastName: 'Formula', dateOfBirth: '1982-08-30' },
    ]);
    const first = await loadLeieList(site, [...FILLER, PEMBERTON, VASQUEZ], '11-10-2026');
    const manualRun = await rescreenOrganization(organization.id, admin.token);
    const app = stack().createApp();
    const matches = await query<{ id: string; employee_id: string }>(
      stack().sequelize,
      'SELECT id, employee_id FROM exclusion_matches WHERE organization_id = $id',
      { id: organization.id },
    );
    const matchOf = (label: string) => matches.find((m) => m.employee_id === people.get(label))?.id;
    const base = `/v1/organizations/${organization.id}`;
    for (const [label, status] of [
      ['confirmed', 'confirmed'],
      ['dismissed', 'dismissed'],
    ] as const) {
      const review = await call(app, 'PATCH', `${base}/exclusion-matches/${matchOf(label)}`, {
        token: admin.token,
        json: { status, note: 'checked the licence' },
      });
      assert.equal(review.status, 200);
    }
    const second = await loadLeieList(
      site,
      [...FILLER, PEMBERTON, VASQUEZ, leieIndividual('QUILL', 'OTTO', '19500505')],
      '12-10-2026',
    );
    // Added after every screening: never compared against a list.
    const late = await insertPeople(organization.id, [
      { label: 'late', firstName: 'Perpetua', lastName: 'Newcombe' },
    ]);

    const response = await call(app, 'GET', `${base}/screening-report`, { token: admin.token });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.equal(response.headers.get('content-type'), 'application/json');
    const report = response.body;
    assert.deepEqual(Object.keys(report), ['organization', 'period', 'sources', 'runs', 'people', 'totals']);
    assert.deepEqual(report.organization, {
      id: organization.id,
      name: 'Report Home Care',
      subdomain: organization.subdomain,
    });
    assert.deepEqual(report.period, thisMonth(), 'the current UTC month by default');

    const checks = await query<{ id: string; row_count: number; sha256: string; source_updated_on: string }>(
      stack().sequelize,
      `SELECT id, row_count, sha256, source_updated_on::text FROM oig_exclusions_check
       WHERE id = ANY($ids::uuid[]) ORDER BY checked_at`,
      { ids: [first.checkId, second.checkId] },
    );
    assert.deepEqual(
      report.sources.map((source: any) => source.id),
      stack().config.EXCLUSION_SOURCES,
      'every enabled list',
    );
    const leie = report.sources.find((source: any) => source.id === 'leie');
    for (const other of report.sources.filter((source: any) => source.id !== 'leie')) {
      assert.deepEqual(other.versions, [], `${other.id} was never loaded`);
    }
    assert.deepEqual(
      leie.versions,
      checks.map((check) => ({
        checkId: check.id,
        sourceUpdatedOn: check.source_updated_on,
        rowCount: check.row_count,
        sha256: check.sha256,
      })),
      'both versions of the list in force during the month',
    );
    assert.deepEqual(
      checks.map((check) => check.source_updated_on),
      ['2026-11-10', '2026-12-10'],
    );

    const manual = report.runs.find((run: any) => run.id === manualRun);
    assert.equal(manual.trigger, 'manual');
    assert.equal(manual.scope, 'organization');
    assert.equal(manual.status, 'succeeded');
    assert.equal(manual.peopleScreened, 4);
    assert.deepEqual(manual.listVersions, [{ source: 'leie', checkId: first.checkId }]);
    assert.ok(
      report.runs.some((run: any) => run.trigger === 'source_update'),
      'the list loads’ rescreens',
    );

    const byExternal = new Map(report.people.map((person: any) => [person.externalId, person]));
    const externalIds = await query<{ id: string; external_id: string }>(
      stack().sequelize,
      'SELECT id, external_id FROM employees WHERE organization_id = $id',
      { id: organization.id },
    );
    const personOf = (label: string) =>
      byExternal.get(
        externalIds.find((row) => row.id === (people.get(label) ?? late.get(label)))?.external_id,
      ) as any;
    assert.equal(personOf('confirmed').result, 'confirmed');
    assert.equal(personOf('dismissed').result, 'dismissed');
    assert.equal(personOf('clear').result, 'clear');
    assert.equal(personOf('late').result, 'not_screened');
    assert.equal(personOf('late').lastScreenedAt, null);
    assert.deepEqual(Object.keys(personOf('clear')), [
      'kind',
      'externalId',
      'name',
      'lastScreenedAt',
      'result',
    ]);
    assert.equal(personOf('clear').name, 'Ottoline Brackenbury');
    assert.equal(personOf('clear').kind, 'employee');
    assert.ok(Date.parse(personOf('clear').lastScreenedAt) > 0);
    assert.deepEqual(report.totals, {
      people: 5,
      runs: report.runs.length,
      clear: 2,
      possible_match: 0,
      confirmed: 1,
      dismissed: 1,
      not_screened: 1,
    });
    const text = JSON.stringify(report);
    for (const dob of ['1965-03-14', '1971-07-21', '1982-08-30', 'dateOfBirth']) {
      assert.ok(!text.includes(dob), `no DOB in the report (${dob})`);
    }

    const csv = await call(app, 'GET', `${base}/screening-report.csv`, { token: admin.token });
    assert.equal(csv.status, 200);
    assert.equal(csv.headers.get('content-type'), 'text/csv; charset=utf-8');
    const rows = parse(csv.body, { columns: true }) as Record<string, string>[];
    assert.deepEqual(Object.keys(rows[0] ?? {}), [...REPORT_CSV_COLUMNS]);
    assert.deepEqual(
      rows,
      report.people.map((person: any) => ({
        kind: person.kind,
        externalId: person.externalId,
        name: person.name.startsWith('=') ? `'${person.name}` : person.name,
        lastScreenedAt: person.lastScreenedAt ?? '',
        result: person.result,
      })),
    );

    const pdf = await app.request(`${base}/screening-report.pdf`, {
      headers: { authorization: `Bearer ${admin.token}` },
    });
    assert.equal(pdf.status, 200);
    assert.equal(pdf.headers.get('content-type'), 'application/pdf');
    const bytes = await pdf.arrayBuffer();
    assert.equal(Buffer.from(bytes.slice(0, 5)).toString(), '%PDF-');
    const pdfContent = await pdfText(bytes);
    for (const expected of [
      'Report Home Care',
      `${report.period.from} to ${report.period.to}`,
      ...checks.map((check) => check.sha256),
      'Ottoline Brackenbury',
      'Lucille Pemberton',
      'Perpetua Newcombe',
      'not screened',
      `People: ${report.totals.people}`,
      `Screening runs: ${report.totals.runs}`,
      'confirmed: 1',
      'dismissed: 1',
      'clear: 2',
    ]) {
      assert.ok(pdfContent.includes(expected), `the PDF says ${expected}`);
    }
    assert.ok(!pdfContent.includes('1965-03-14'), 'no DOB in the PDF');
  });

  it('an organization with no people gets a valid, empty report; a past period has no runs', async () => {
    const organization = await createOrganization();
    const admin = await createMember(organization.id, 'admin');
    const app = stack().createApp();
    const base = `/v1/organizations/${organization.id}/screening-report`;
    const empty = await call(app, 'GET', base, { token: admin.token });
    assert.equal(empty.status, 200);
    assert.deepEqual(empty.body.people, []);
    assert.deepEqual(empty.body.totals, {
      people: 0,
      runs: 0,
      clear: 0,
      possible_match: 0,
      confirmed: 0,
      dismissed: 0,
      not_screened: 0,
    });
    // Another list's version in force during the month is certified beside the LEIE's (docs/spec.md §8).
    const [samCheck] = await query<{ id: string }>(
      stack().sequelize,
      `INSERT INTO exclusion_source_checks (source, checked_at, trigger, status, source_updated_on, row_count, sha256)
       VALUES ('sam', now(), 'manual', 'imported', current_date, 42, repeat('a', 64)) RETURNING id`,
    );
    try {
      const withSam = await call(app, 'GET', base, { token: admin.token });
      const sam = withSam.body.sources.find((source: any) => source.id === 'sam');
      assert.equal(sam.name, 'SAM.gov Exclusions');
      assert.deepEqual(sam.versions.at(-1), {
        checkId: samCheck?.id,
        sourceUpdatedOn: new Date().toISOString().slice(0, 10),
        rowCount: 42,
        sha256: 'a'.repeat(64),
      });
    } finally {
      await query(stack().sequelize, 'DELETE FROM exclusion_source_checks WHERE id = $id', {
        id: samCheck?.id,
      });
    }
    const past = await call(app, 'GET', `${base}?from=2020-01-01&to=2020-12-31`, { token: admin.token });
    assert.equal(past.status, 200);
    assert.deepEqual(past.body.period, { from: '2020-01-01', to: '2020-12-31' });
    assert.deepEqual(past.body.runs, []);
    const csv = await call(app, 'GET', `${base}.csv`, { token: admin.token });
    assert.equal(csv.body, `"${REPORT_CSV_COLUMNS.join('","')}"\r\n`);
    const pdf = await app.request(`${base}.pdf`, { headers: { authorization: `Bearer ${admin.token}` } });
    assert.equal(pdf.status, 200);
    assert.match(await pdfText(await pdf.arrayBuffer()), /People: 0/);
  });

  it('writes each name in the PDF as the roster spells it, beyond Latin-1', async () => {
    const organization = await createOrganization('Đà Nẵng Home Care — Дом Ζωή');
    const admin = await createMember(organization.id, 'admin');
    const names = [
      { label: 'vietnamese', firstName: 'Thị Hồng', lastName: 'Nguyễn' },
      { label: 'polish', firstName: 'Łukasz', lastName: 'Żółkiewski' },
      { label: 'nordic', firstName: 'Þórdís', lastName: 'Ørsted-Åberg' },
      { label: 'turkish', firstName: 'Ğülşah', lastName: 'Işıkoğlu' },
    ];
    await insertPeople(organization.id, names);
    const pdf = await stack()
      .createApp()
      .request(`/v1/organizations/${organization.id}/screening-report.pdf`, {
        headers: { authorization: `Bearer ${admin.token}` },
      });
    assert.equal(pdf.status, 200);
    const text = await pdfText(await pdf.arrayBuffer());
    assert.ok(text.includes('Đà Nẵng Home Care — Дом Ζωή'), 'the organization as it is spelled');
    for (const { firstName, lastName } of names) {
      assert.ok(text.includes(`${firstName} ${lastName}`), `the PDF says ${firstName} ${lastName}`);
    }
  });

  it('answers 422 naming the field for bad dates, a backwards or too long period; 403 for members, 404 elsewhere', async () => {
    const organization = await createOrganization();
    const admin = await createMember(organization.id, 'admin');
    const member = await createMember(organization.id, 'member');
    const app = stack().createApp();
    const base = `/v1/organizations/${organization.id}/screening-report`;
    const cases: [string, string][] = [
      ['?from=2026-03-01&to=2026-02-01', 'query.to'],
      ['?from=2025-01-01&to=2026-02-01', 'query.to'],
      ['?from=2026-02-30', 'query.from'],
      ['?from=01/02/2026', 'query.from'],
      ['?to=2026-13-01', 'query.to'],
      ['?from=2026-02-01T00:00:00Z', 'query.from'],
    ];
    for (const suffix of ['', '.csv', '.pdf']) {
      for (const [query, field] of cases) {
        const response = await call(app, 'GET', `${base}${suffix}${query}`, { token: admin.token });
        assert.equal(response.status, 422, `${suffix}${query}`);
        assert.equal(response.headers.get('content-type'), 'application/problem+json');
        assert.deepEqual(
          response.body.errors.map((e: any) => e.path),
          [field],
          `${suffix}${query}`,
        );
      }
      assert.equal((await call(app, 'GET', `${base}${suffix}`, { token: member.token })).status, 403);
    }
    assert.equal(
      (await call(app, 'GET', `${base}?from=2025-01-01&to=2026-01-31`, { token: admin.token })).status,
      200,
      '13 months is the cap',
    );
    for (const extreme of ['?from=9999-12-01', '?from=0001-01-01&to=0001-01-31', '?to=0001-01-01']) {
      assert.equal(
        (await call(app, 'GET', `${base}${extreme}`, { token: admin.token })).status,
        200,
        extreme,
      );
    }
    const outsider = await createMember((await createOrganization()).id, 'owner');
    assert.equal((await call(app, 'GET', `${base}.pdf`, { token: outsider.token })).status, 404);
  });
});
