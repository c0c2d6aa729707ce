import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { execute, inTransaction, query, queryOne } from '../../db/sql';
import { createMember, createOrganization } from '../support/fixtures';
import { call } from '../support/http';
import { stack } from '../support/stack';
import { npiFor } from '../workflows/roster-import-support';

const NAMES = [
  ['Ann', 'Smith'],
  ['Bob', 'Smithers'],
  ['Cy', 'Goldsmith'],
  ['Dee', 'Jones'],
  ['José', 'Smith-Pérez'],
  ['Eve', 'Brown'],
];

async function seed(organizationId: string, count: number, prefix = 'X') {
  await execute(
    stack().sequelize,
    `INSERT INTO employees (organization_id, kind, external_id, first_name, last_name, npi, email, status,
       first_name_norm, last_name_norm)
     SELECT $organizationId, CASE WHEN i % 3 = 0 THEN 'caregiver' ELSE 'employee' END, $prefix || i, f, l, n,
       $prefix || i || '@x.test', CASE WHEN i % 5 = 0 THEN 'inactive' ELSE 'active' END,
       ale_normalize_name(f), ale_normalize_name(l)
     FROM unnest($first::text[], $last::text[], $npi::text[]) WITH ORDINALITY AS t(f, l, n, i)`,
    {
      organizationId,
      first: Array.from({ length: count }, (_, i) => (NAMES[i % NAMES.length] as string[])[0]),
      last: Array.from({ length: count }, (_, i) => (NAMES[i % NAMES.length] as string[])[1]),
      npi: Array.from({ length: count }, (_, i) => npiFor(9000 + i)),
      prefix,
    },
  );
}

describe('employees and patients API (real app, Postgres, dev server)', () => {
  const app = () => stack().createApp({ TEMPORAL_TASK_QUEUE: `employees-api-${randomUUID()}` });

  it('POST validates like an import, computes normalized names and starts the screening', async () => {
    const org = await createOrganization();
    const admin = await createMember(org.id, 'admin');
    const api = app();
    const body = {
      kind: 'employee',
      externalId: '007',
      firstName: ' José ',
      lastName: "O'Brien",
      npi: '1234567893',
      dateOfBirth: '4/1/1980',
    };
    const created = await call(api, 'POST', `/v1/organizations/${org.id}/employees`, {
      token: admin.token,
      json: body,
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    assert.deepEqual(
      [created.body.externalId, created.body.firstName, created.body.dateOfBirth, created.body.status],
      ['007', 'José', '1980-04-01', 'active'],
    );
    assert.equal(
      created.body.workflowId,
      `exclusion-screening/employees/${created.body.id}-${Date.parse(created.body.updatedAt)}`,
    );
    const screening = await stack().temporal.workflow.getHandle(created.body.workflowId).describe();
    assert.equal(screening.type, 'exclusionScreening');
    const norm = await queryOne<Record<string, string>>(
      stack().sequelize,
      'SELECT first_name_norm, last_name_norm, full_name_norm FROM employees WHERE id = $id',
      { id: created.body.id },
    );
    assert.deepEqual(norm, {
      first_name_norm: 'JOSE',
      last_name_norm: 'OBRIEN',
      full_name_norm: 'JOSE OBRIEN',
    });

    const bad = await call(api, 'POST', `/v1/organizations/${org.id}/employees`, {
      token: admin.token,
      json: { ...body, externalId: '008', npi: '1234567890', hireDate: '02/30/2020' },
    });
    assert.equal(bad.status, 422);
    assert.deepEqual(bad.body.errors.map((e: any) => e.path).sort(), ['hireDate', 'npi']);
    const nul = await call(api, 'POST', `/v1/organizations/${org.id}/employees`, {
      token: admin.token,
      json: { ...body, externalId: '009', firstName: 'Jo\u0000sé' },
    });
    assert.equal(nul.status, 422);
    assert.deepEqual(
      nul.body.errors.map((e: any) => [e.path, e.message]),
      [['firstName', 'firstName contains a NUL character (U+0000), which cannot be stored; remove it.']],
    );
    // A first or last name with no Latin letter could never be screened (the lists are in Latin).
    const otherScript = await call(api, 'POST', `/v1/organizations/${org.id}/employees`, {
      token: admin.token,
      json: { ...body, externalId: '010', firstName: 'Ольга', lastName: 'Петрова' },
    });
    assert.equal(otherScript.status, 422);
    assert.deepEqual(otherScript.body.errors.map((e: any) => e.path).sort(), ['firstName', 'lastName']);
    assert.match(otherScript.body.errors[0].message, /Latin alphabet/);
    const dup = await call(api, 'POST', `/v1/organizations/${org.id}/employees`, {
      token: admin.token,
      json: body,
    });
    assert.equal(dup.status, 409);
    const member = await createMember(org.id, 'member');
    const denied = await call(api, 'POST', `/v1/organizations/${org.id}/employees`, {
      token: member.token,
      json: body,
    });
    assert.equal(denied.status, 403);

    const patched = await call(api, 'PATCH', `/v1/organizations/${org.id}/employees/${created.body.id}`, {
      token: admin.token,
      json: { lastName: 'Smith Jr', npi: null },
    });
    assert.equal(patched.status, 202);
    assert.deepEqual(
      [patched.body.lastName, patched.body.npi, patched.body.firstName],
      ['Smith Jr', null, 'José'],
    );
    assert.notEqual(patched.body.workflowId, created.body.workflowId, 'each version is screened');
    const seen = await call(api, 'GET', `/v1/organizations/${org.id}/employees?q=jose%20smith`, {
      token: member.token,
    });
    assert.deepEqual(
      seen.body.items.map((e: any) => e.id),
      [created.body.id],
    );

    const deleted = await call(api, 'DELETE', `/v1/organizations/${org.id}/employees/${created.body.id}`, {
      token: admin.token,
    });
    assert.equal(deleted.status, 200);
    assert.equal(deleted.body.status, 'inactive');
    const other = await createOrganization();
    const otherAdmin = await createMember(other.id, 'admin');
    const foreign = await call(api, 'GET', `/v1/organizations/${other.id}/employees/${created.body.id}`, {
      token: otherAdmin.token,
    });
    assert.equal(foreign.status, 404);
  });

  it('searches by name (trigram substring), exact externalId/email/NPI, filters, stable keyset pages', async () => {
    const org = await createOrganization();
    const member = await createMember(org.id, 'member');
    await seed(org.id, 60);
    const other = await createOrganization();
    await seed(other.id, 12);
    const api = app();
    const get = async (query: string) => {
      const response = await call(api, 'GET', `/v1/organizations/${org.id}/employees?${query}`, {
        token: member.token,
      });
      assert.equal(response.status, 200, JSON.stringify(response.body));
      return response.body as { items: any[]; nextCursor: string | null };
    };
    const smith = await get('q=smith&limit=200');
    // SMITH, SMITHERS, GOLDSMITH and SMITH-PEREZ: 4 of every 6 seeded names.
    assert.equal(smith.items.length, 40);
    assert.ok(smith.items.every((e) => /smith/i.test(e.lastName)));
    assert.equal((await get('q=perez&limit=200')).items.length, 10, 'accents are ignored');
    // The search renders timestamps from Postgres's text, GET …/{id} from Dates: the same JSON.
    await execute(
      stack().sequelize,
      `UPDATE employees SET updated_at = t.at FROM (VALUES ('X1', timestamptz '2026-01-02 03:04:05.999999+00'),
         ('X2', '2026-01-02 03:04:05+00'), ('X3', '1999-12-31 23:59:59.5-05')) AS t(id, at)
       WHERE organization_id = $org AND external_id = t.id`,
      { org: org.id },
    );
    const listed = (await get('q=smith&limit=200')).items;
    assert.deepEqual(
      listed
        .filter((e) => ['X1', 'X2', 'X3'].includes(e.externalId))
        .map((e) => [e.externalId, e.updatedAt])
        .sort(),
      [
        ['X1', '2026-01-02T03:04:05.999Z'],
        ['X2', '2026-01-02T03:04:05.000Z'],
        ['X3', '2000-01-01T04:59:59.500Z'],
      ],
    );
    for (const item of listed) {
      const one = await call(api, 'GET', `/v1/organizations/${org.id}/employees/${item.id}`, {
        token: member.token,
      });
      assert.deepEqual(one.body, item);
    }
    assert.deepEqual(
      (await get('q=X7')).items.map((e) => e.externalId),
      ['X7'],
    );
    assert.deepEqual(
      (await get('q=x8@X.TEST')).items.map((e) => e.externalId),
      ['X8'],
    );
    assert.deepEqual(
      (await get(`q=${npiFor(9010)}`)).items.map((e) => e.externalId),
      ['X11'],
    );
    assert.deepEqual(
      (await get(`npi=${npiFor(9010)}`)).items.map((e) => e.externalId),
      ['X11'],
    );
    const caregivers = await get('kind=caregiver&status=active&limit=200');
    assert.ok(caregivers.items.every((e) => e.kind === 'caregiver' && e.status === 'active'));
    assert.equal(caregivers.items.length, 16);

    // Walk every page; a row added mid-walk before the cursor does not shift later pages.
    const seenIds: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const result = await get(`limit=7${cursor ? `&cursor=${cursor}` : ''}`);
      seenIds.push(...result.items.map((e) => e.id));
      cursor = result.nextCursor;
      if (++pages === 2) await seed(org.id, 1, 'LATE'); // "ANN SMITH" sorts before the cursor
    } while (cursor);
    assert.equal(seenIds.length, 60);
    assert.equal(new Set(seenIds).size, 60);
    const all = await get('limit=200');
    assert.deepEqual(
      seenIds,
      all.items.filter((e) => seenIds.includes(e.id)).map((e) => e.id),
      'pages follow the name order',
    );
    const invalid = await call(api, 'GET', `/v1/organizations/${org.id}/employees?cursor=abc`, {
      token: member.token,
    });
    assert.equal(invalid.status, 400, 'a malformed cursor is 400 (docs/spec.md §12)');
  });

  it('the name search is answered from an index, never a sequential scan (EXPLAIN)', async () => {
    const plan = await inTransaction(stack().sequelize, async (tx) => {
      await execute(tx, 'SET LOCAL enable_seqscan = off');
      const rows = await query<{ 'QUERY PLAN': string }>(
        tx,
        `EXPLAIN SELECT * FROM employees e WHERE e.organization_id = $org
           AND e.full_name_norm LIKE '%' || ale_normalize_name('smith') || '%' ORDER BY e.full_name_norm, e.id LIMIT 51`,
        { org: randomUUID() },
      );
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    });
    assert.match(plan, /Index Scan (using|on) employees_/);
    assert.doesNotMatch(plan, /Seq Scan/);
  });

  it('patients are for org admins only and searchable by name or MRN', async () => {
    const org = await createOrganization();
    const admin = await createMember(org.id, 'admin');
    const member = await createMember(org.id, 'member');
    await execute(
      stack().sequelize,
      `INSERT INTO patients (organization_id, external_id, first_name, last_name, date_of_birth, full_name_norm)
       VALUES ($org, '00042', 'Ann', 'Lee', '1950-01-01', 'ANN LEE'), ($org, '00043', 'Bob', 'Ray', '1951-01-01', 'BOB RAY')`,
      { org: org.id },
    );
    const api = app();
    const denied = await call(api, 'GET', `/v1/organizations/${org.id}/patients`, { token: member.token });
    assert.equal(denied.status, 403);
    const byName = await call(api, 'GET', `/v1/organizations/${org.id}/patients?q=lee`, {
      token: admin.token,
    });
    assert.deepEqual(
      byName.body.items.map((p: any) => [p.externalId, p.dateOfBirth]),
      [['00042', '1950-01-01']],
    );
    const byMrn = await call(api, 'GET', `/v1/organizations/${org.id}/patients?q=00043`, {
      token: admin.token,
    });
    assert.deepEqual(
      byMrn.body.items.map((p: any) => p.firstName),
      ['Bob'],
    );
    const one = await call(api, 'GET', `/v1/organizations/${org.id}/patients/${byMrn.body.items[0].id}`, {
      token: admin.token,
    });
    assert.equal(one.body.lastName, 'Ray');
  });
});
