import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { insertInvitation } from '../../db/invitation-store';
import { queryOne } from '../../db/sql';
import { createMember, createOrganization, createUser, setOrganizationState } from '../support/fixtures';
import { call } from '../support/http';
import { stack } from '../support/stack';

type MinimumRole = 'member' | 'admin' | 'platform-admin';

/**
 * Who may call each org-scoped route, from docs/spec.md §5. A route may instead declare
 * `'x-min-role'` on its OpenAPI operation. Routes known to neither are still checked for
 * isolation (404 across organizations); only their member/admin split goes unchecked.
 */
const SPEC_MINIMUM_ROLES: Record<string, MinimumRole> = {
  'GET /v1/organizations/{orgId}': 'member',
  'PATCH /v1/organizations/{orgId}': 'admin',
  'DELETE /v1/organizations/{orgId}': 'platform-admin',
  'PUT /v1/organizations/{orgId}/logo': 'admin',
  'DELETE /v1/organizations/{orgId}/logo': 'admin',
  'POST /v1/organizations/{orgId}/provisioning/retry': 'platform-admin',
  'GET /v1/organizations/{orgId}/members': 'member',
  'PATCH /v1/organizations/{orgId}/members/{userId}': 'admin',
  // A member may remove only themselves: another (here unknown) user is 403.
  'DELETE /v1/organizations/{orgId}/members/{userId}': 'admin',
  'POST /v1/organizations/{orgId}/invitations': 'admin',
  'GET /v1/organizations/{orgId}/invitations': 'admin',
  'GET /v1/organizations/{orgId}/invitations/{id}': 'admin',
  'POST /v1/organizations/{orgId}/invitations/{id}/resend': 'admin',
  'DELETE /v1/organizations/{orgId}/invitations/{id}': 'admin',
  'POST /v1/organizations/{orgId}/imports': 'admin',
  'POST /v1/organizations/{orgId}/imports/upload-url': 'admin',
  'GET /v1/organizations/{orgId}/imports': 'admin',
  'GET /v1/organizations/{orgId}/imports/{id}': 'admin',
  'GET /v1/organizations/{orgId}/imports/{id}/errors': 'admin',
  'GET /v1/organizations/{orgId}/imports/{id}/errors.csv': 'admin',
  'POST /v1/organizations/{orgId}/imports/{id}/cancel': 'admin',
  'GET /v1/organizations/{orgId}/employees': 'member',
  'GET /v1/organizations/{orgId}/employees.csv': 'member',
  'POST /v1/organizations/{orgId}/employees': 'admin',
  'GET /v1/organizations/{orgId}/employees/{id}': 'member',
  'PATCH /v1/organizations/{orgId}/employees/{id}': 'admin',
  'DELETE /v1/organizations/{orgId}/employees/{id}': 'admin',
  'GET /v1/organizations/{orgId}/patients': 'admin',
  'GET /v1/organizations/{orgId}/patients/{id}': 'admin',
  'GET /v1/organizations/{orgId}/exclusion-matches': 'admin',
  'GET /v1/organizations/{orgId}/exclusion-matches.csv': 'admin',
  'GET /v1/organizations/{orgId}/exclusion-matches/{id}': 'admin',
  'GET /v1/organizations/{orgId}/audit-log': 'admin',
  'GET /v1/organizations/{orgId}/screening-report': 'admin',
  'GET /v1/organizations/{orgId}/screening-report.csv': 'admin',
  'GET /v1/organizations/{orgId}/screening-report.pdf': 'admin',
  'PATCH /v1/organizations/{orgId}/exclusion-matches/{id}': 'admin',
  'POST /v1/organizations/{orgId}/exclusion-screenings': 'admin',
  'GET /v1/organizations/{orgId}/exclusion-screenings/{id}': 'admin',
};

interface Operation {
  method: string;
  template: string;
  minimumRole: MinimumRole | undefined;
}

async function orgScopedOperations(
  app: ReturnType<ReturnType<typeof stack>['createApp']>,
): Promise<Operation[]> {
  const document = (await call(app, 'GET', '/openapi.json')).body as {
    paths: Record<string, Record<string, { 'x-min-role'?: MinimumRole }>>;
  };
  const operations: Operation[] = [];
  for (const [template, methods] of Object.entries(document.paths)) {
    if (!template.startsWith('/v1/organizations/{orgId}')) continue;
    for (const [method, operation] of Object.entries(methods)) {
      const key = `${method.toUpperCase()} ${template}`;
      operations.push({
        method: method.toUpperCase(),
        template,
        minimumRole: operation['x-min-role'] ?? SPEC_MINIMUM_ROLES[key],
      });
    }
  }
  return operations;
}

/** One real row per resource kind, so `{id}` paths name something that exists in that organization. */
async function seedResources(organizationId: string): Promise<Record<string, string>> {
  const db = stack().sequelize;
  const insert = async (sql: string, bind: Record<string, unknown>) =>
    (
      (await queryOne<{ id: string }>(db, `${sql} RETURNING id`, { organizationId, ...bind })) as {
        id: string;
      }
    ).id;
  const employee = await insert(
    `INSERT INTO employees (organization_id, kind, external_id, first_name, last_name, first_name_norm, last_name_norm)
     VALUES ($organizationId, 'employee', $externalId, 'Ada', 'Lovelace', 'ADA', 'LOVELACE')`,
    { externalId: `E-${randomUUID().slice(0, 8)}` },
  );
  const patient = await insert(
    `INSERT INTO patients (organization_id, external_id, first_name, last_name, date_of_birth, full_name_norm)
     VALUES ($organizationId, $externalId, 'Pat', 'Ient', '1950-01-01', 'PAT IENT')`,
    { externalId: `MRN-${randomUUID().slice(0, 8)}` },
  );
  const rosterImport = await insert(
    `INSERT INTO roster_imports (organization_id, kind, source_bucket, source_key, format)
     VALUES ($organizationId, 'employees', $bucket, $key, 'csv')`,
    {
      bucket: stack().config.AWS_S3_BUCKET_NAME,
      key: `employees-list/${organizationId}/${randomUUID()}.csv`,
    },
  );
  const match = await insert(
    `INSERT INTO exclusion_matches (organization_id, employee_id, exclusion_key, reason, score)
     VALUES ($organizationId, $employeeId, $exclusionKey, 'name', 0.60)`,
    { employeeId: employee, exclusionKey: `key-${randomUUID()}` },
  );
  const invitation = await insertInvitation(db, {
    id: randomUUID(),
    organization_id: organizationId,
    email: `seed-${randomUUID()}@example.test`,
    role: 'member',
    invited_by: null,
    expires_at: new Date(Date.now() + 3600_000),
    token_id: randomUUID(),
    workflow_id: null,
  });
  assert.ok(invitation);
  return {
    employees: employee,
    patients: patient,
    imports: rosterImport,
    'exclusion-matches': match,
    invitations: invitation.id,
  };
}

/** Fills `{orgId}` and every other `{param}` with the id of that organization's resource of the kind named before it. */
function fill(template: string, organizationId: string, resources: Record<string, string>): string {
  const segments = template.split('/');
  return segments
    .map((segment, index) => {
      if (segment === '{orgId}') return organizationId;
      if (/^\{.+\}/.test(segment)) {
        const suffix = segment.replace(/^\{[^}]+\}/, '');
        return (resources[segments[index - 1] ?? ''] ?? randomUUID()) + suffix;
      }
      return segment;
    })
    .join('/');
}

function request(method: string) {
  return ['POST', 'PUT', 'PATCH'].includes(method) ? { json: {} } : {};
}

describe('access matrix over every org-scoped route in /openapi.json', () => {
  it('a user of org A gets 404 for org B exactly as for a missing org; members get 403 on admin routes', async function () {
    this.timeout(120_000);
    // Workflows any allowed call starts go to a queue no worker polls.
    const app = stack().createApp({ TEMPORAL_TASK_QUEUE: `access-matrix-${randomUUID()}` });
    const orgA = await createOrganization('Agency A');
    const orgB = await createOrganization('Agency B');
    const ownerA = await createMember(orgA.id, 'owner');
    const memberA = await createMember(orgA.id, 'member');
    const adminA = await createMember(orgA.id, 'admin');
    const resourcesA = await seedResources(orgA.id);
    const resourcesB = await seedResources(orgB.id);

    const operations = await orgScopedOperations(app);
    const names = operations.map((o) => `${o.method} ${o.template}`);
    // The enumeration is not vacuous: at least the routes of this feature are in the document.
    for (const route of [
      'GET /v1/organizations/{orgId}/members',
      'POST /v1/organizations/{orgId}/invitations',
      'DELETE /v1/organizations/{orgId}/invitations/{id}',
    ]) {
      assert.ok(names.includes(route), `${route} is missing from /openapi.json`);
    }

    const failures: string[] = [];
    for (const { method, template, minimumRole } of operations) {
      const route = `${method} ${template}`;
      for (const [who, caller] of [
        ['owner of A', ownerA],
        ['member of A', memberA],
      ] as const) {
        const foreign = await call(app, method, fill(template, orgB.id, resourcesB), {
          token: caller.token,
          ...request(method),
        });
        const missing = await call(app, method, fill(template, randomUUID(), resourcesB), {
          token: caller.token,
          ...request(method),
        });
        if (foreign.status !== 404) failures.push(`${route}: ${who} on org B got ${foreign.status}, not 404`);
        if (foreign.status !== missing.status) {
          failures.push(`${route}: org B answers ${foreign.status} but a missing org ${missing.status}`);
        }
      }

      if (minimumRole === undefined) continue;
      const own = fill(template, orgA.id, resourcesA);
      const asMember = await call(app, method, own, { token: memberA.token, ...request(method) });
      if (minimumRole === 'member') {
        if ([401, 403, 404].includes(asMember.status)) {
          failures.push(`${route}: a member of the org got ${asMember.status}`);
        }
      } else if (asMember.status !== 403) {
        failures.push(`${route}: a member got ${asMember.status}, not 403 (needs ${minimumRole})`);
      }
      if (minimumRole === 'platform-admin') {
        const asAdmin = await call(app, method, own, { token: adminA.token, ...request(method) });
        if (asAdmin.status !== 403) failures.push(`${route}: an org admin got ${asAdmin.status}, not 403`);
      }
    }
    assert.deepEqual(failures, [], failures.join('\n'));
  });

  it('every org-scoped write answers 409 problem+json, documented, for an organization being deleted or deleted (docs/spec.md §12)', async function () {
    this.timeout(120_000);
    const app = stack().createApp({ TEMPORAL_TASK_QUEUE: `access-matrix-${randomUUID()}` });
    const document = (await call(app, 'GET', '/openapi.json')).body as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    const platformAdmin = await createUser({ platformAdmin: true });
    const writes = (await orgScopedOperations(app)).filter(
      // Deleting an organization that is already being deleted answers with that deletion (202).
      ({ method, template }) =>
        method !== 'GET' && !(method === 'DELETE' && template === '/v1/organizations/{orgId}'),
    );
    for (const route of [
      'PATCH /v1/organizations/{orgId}/exclusion-matches/{id}',
      'PATCH /v1/organizations/{orgId}/members/{userId}',
      'DELETE /v1/organizations/{orgId}/members/{userId}',
      'POST /v1/organizations/{orgId}/imports/{id}/cancel',
      'POST /v1/organizations/{orgId}/exclusion-screenings',
    ]) {
      assert.ok(
        writes.some(({ method, template }) => `${method} ${template}` === route),
        `${route} is among the writes checked`,
      );
    }
    const failures: string[] = [];
    for (const status of ['deprovisioning', 'deleted'] as const) {
      const organization = await createOrganization(`Closing ${status}`);
      const owner = await createMember(organization.id, 'owner');
      const resources = { ...(await seedResources(organization.id)), members: owner.user.id };
      await setOrganizationState(organization.id, { status });
      for (const { method, template } of writes) {
        const route = `${method} ${template}`;
        if (!document.paths[template]?.[method.toLowerCase()]?.responses['409']) {
          failures.push(`${route}: 409 is not documented`);
        }
        const response = await call(app, method, fill(template, organization.id, resources), {
          token: platformAdmin.token,
          ...request(method),
        });
        if (response.status !== 409 || response.headers.get('content-type') !== 'application/problem+json') {
          failures.push(`${route} (${status}): ${response.status} ${response.headers.get('content-type')}`);
        }
      }
    }
    assert.deepEqual(failures, [], failures.join('\n'));
  });
});
