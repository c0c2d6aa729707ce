import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ROSTER_FIELDS } from '../../domain/roster-row';
import type { RosterKind } from '../../lib/workflow-contracts';
import { createMember, createOrganization } from '../support/fixtures';
import { call } from '../support/http';
import { stack } from '../support/stack';
import { employeeCsv } from '../workflows/roster-import-support';

// No worker polls these task queues: the answers are under test, not the work.
const appOnFreshQueue = () => stack().createApp({ TEMPORAL_TASK_QUEUE: `kinds-${randomUUID()}` });

async function setup() {
  const app = appOnFreshQueue();
  const org = await createOrganization();
  const admin = await createMember(org.id, 'admin');
  return { app, org, admin, importsPath: `/v1/organizations/${org.id}/imports` };
}

const paths = (body: { errors: { path: string }[] }) => body.errors.map((e) => e.path);

describe('one spelling of kind across routes (the other kept as an alias)', () => {
  it('imports and upload URLs take the singular; the import answers with its own spelling', async () => {
    const { app, admin, importsPath } = await setup();
    const started = await call(app, 'POST', `${importsPath}?kind=employee`, {
      token: admin.token,
      body: employeeCsv(1),
      headers: { 'content-type': 'text/csv' },
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    assert.equal(started.body.kind, 'employees');
    const url = await call(app, 'POST', `${importsPath}/upload-url`, {
      token: admin.token,
      json: { kind: 'patient', filename: 'mrns.csv' },
    });
    assert.equal(url.status, 200);
    assert.match(url.body.key, /\/patients\//);
    const wrong = await call(app, 'POST', `${importsPath}?kind=staff`, {
      token: admin.token,
      body: employeeCsv(1),
      headers: { 'content-type': 'text/csv' },
    });
    assert.equal(wrong.status, 422);
    assert.deepEqual(paths(wrong.body), ['query.kind']);
  });

  it('the employee routes take the plural; the person answers with the singular', async () => {
    const { app, admin, org } = await setup();
    const employeesPath = `/v1/organizations/${org.id}/employees`;
    const created = await call(app, 'POST', employeesPath, {
      token: admin.token,
      json: { kind: 'caregivers', externalId: 'C1', firstName: 'Cara', lastName: 'Giver' },
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    assert.equal(created.body.kind, 'caregiver');
    const plural = await call(app, 'GET', `${employeesPath}?kind=caregivers`, { token: admin.token });
    const singular = await call(app, 'GET', `${employeesPath}?kind=caregiver`, { token: admin.token });
    const none = await call(app, 'GET', `${employeesPath}?kind=employees`, { token: admin.token });
    assert.equal(plural.status, 200);
    assert.deepEqual(plural.body, singular.body);
    assert.deepEqual(
      plural.body.items.map((item: { id: string }) => item.id),
      [created.body.id],
    );
    assert.deepEqual(none.body.items, []);
  });

  it('the OpenAPI document lists both spellings and the roster columns with their aliases', async () => {
    const document = (await call(stack().createApp(), 'GET', '/openapi.json')).body;
    const startImport = document.paths['/v1/organizations/{orgId}/imports'].post;
    const kind = startImport.parameters.find((p: { name: string }) => p.name === 'kind');
    assert.deepEqual(kind.schema.enum.sort(), [
      'caregiver',
      'caregivers',
      'employee',
      'employees',
      'patient',
      'patients',
    ]);
    const search = document.paths['/v1/organizations/{orgId}/employees'].get;
    const personKind = search.parameters.find((p: { name: string }) => p.name === 'kind');
    assert.deepEqual(personKind.schema.enum.sort(), ['caregiver', 'caregivers', 'employee', 'employees']);
    for (const kindName of Object.keys(ROSTER_FIELDS) as RosterKind[]) {
      for (const [column, spec] of Object.entries(ROSTER_FIELDS[kindName])) {
        assert.ok(startImport.description.includes(`\`${column}\``), column);
        for (const alias of spec.aliases) {
          if (alias !== column.replaceAll('_', '')) {
            assert.ok(startImport.description.includes(`\`${alias}\``), alias);
          }
        }
      }
    }
  });
});
