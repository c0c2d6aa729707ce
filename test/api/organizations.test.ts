import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { query } from '../../db/sql';
import { organizationWorkflowId } from '../../lib/workflow-contracts';
import {
  auditTrail,
  createMember,
  createOrganization,
  createUser,
  findOrganizationRow,
  setOrganizationState,
} from '../support/fixtures';
import { call } from '../support/http';
import { stack } from '../support/stack';
import { freshSubdomain } from '../workflows/organization-support';

// No worker polls these task queues: the API's answers (and the intent it records) are under test.
const appOnFreshQueue = () => stack().createApp({ TEMPORAL_TASK_QUEUE: `org-api-${randomUUID()}` });

describe('POST /v1/organizations', () => {
  it('records the organization, starts organization/<id> and answers 202 with the resource and links', async () => {
    const app = appOnFreshQueue();
    const admin = await createUser({ platformAdmin: true });
    const subdomain = freshSubdomain();
    const response = await call(app, 'POST', '/v1/organizations', {
      token: admin.token,
      json: { name: '  Acme Home Care ', subdomain },
    });
    assert.equal(response.status, 202);
    const body = response.body;
    assert.equal(body.name, 'Acme Home Care');
    assert.equal(body.subdomain, subdomain);
    assert.equal(body.hostname, `${subdomain}.${stack().config.BASE_DOMAIN}`);
    assert.equal(body.status, 'provisioning');
    assert.equal(body.dnsStatus, 'pending');
    assert.equal(body.logoUrl, null);
    assert.equal(body.failureReason, null);
    assert.equal(body.workflowId, organizationWorkflowId(body.id));
    assert.equal(body.links.self, `/v1/organizations/${body.id}`);
    assert.ok(body.links.temporalUi.endsWith(`/workflows/${encodeURIComponent(body.workflowId)}`));
    const description = await stack().temporal.workflow.getHandle(body.workflowId).describe();
    assert.equal(description.type, 'organizationLifecycle');
    const audit = await auditTrail(body.id);
    assert.deepEqual(
      audit.map((row) => [row.action, row.actor_user_id, row.details]),
      [['organization.create', admin.user.id, { subdomain }]],
    );
  });

  it('is for platform admins only', async () => {
    const app = appOnFreshQueue();
    const user = await createUser();
    const json = { name: 'Nope', subdomain: freshSubdomain() };
    assert.equal((await call(app, 'POST', '/v1/organizations', { json })).status, 401);
    assert.equal((await call(app, 'POST', '/v1/organizations', { token: user.token, json })).status, 403);
    const holders = await query(
      stack().sequelize,
      'SELECT 1 FROM organizations WHERE subdomain = $subdomain',
      {
        subdomain: json.subdomain,
      },
    );
    assert.equal(holders.length, 0);
  });

  const badSubdomains: [string, unknown][] = [
    ['too short', 'ab'],
    ['too long', 'a'.repeat(64)],
    ['uppercase', 'AcmeCare'],
    ['underscore', 'acme_care'],
    ['leading hyphen', '-acme'],
    ['trailing hyphen', 'acme-'],
    ['punycode (xn--)', 'xn--bcher-kva'],
    ['reserved word', 'admin'],
    ['unicode', 'bücher'],
    ['not a string', 42],
  ];
  for (const [what, subdomain] of badSubdomains) {
    it(`answers 422 naming the subdomain field for ${what}`, async () => {
      const app = appOnFreshQueue();
      const admin = await createUser({ platformAdmin: true });
      const response = await call(app, 'POST', '/v1/organizations', {
        token: admin.token,
        json: { name: 'Bad', subdomain },
      });
      assert.equal(response.status, 422);
      assert.match(response.headers.get('content-type') ?? '', /application\/problem\+json/);
      assert.ok(response.body.errors.length > 0);
      assert.ok(response.body.errors.every((error: { path: string }) => error.path === 'subdomain'));
    });
  }

  it('answers 422 for a missing or blank name', async () => {
    const app = appOnFreshQueue();
    const admin = await createUser({ platformAdmin: true });
    for (const name of [undefined, '   ', 'x'.repeat(201)]) {
      const response = await call(app, 'POST', '/v1/organizations', {
        token: admin.token,
        json: { name, subdomain: freshSubdomain() },
      });
      assert.equal(response.status, 422);
      assert.deepEqual(
        response.body.errors.map((error: { path: string }) => error.path),
        ['name'],
      );
    }
  });

  it('answers 409 when another organization holds the subdomain, and frees it once that one is deleted', async () => {
    const app = appOnFreshQueue();
    const admin = await createUser({ platformAdmin: true });
    const holder = await createOrganization();
    const taken = await call(app, 'POST', '/v1/organizations', {
      token: admin.token,
      json: { name: 'Second', subdomain: holder.subdomain },
    });
    assert.equal(taken.status, 409);
    assert.equal(taken.body.errors[0].path, 'subdomain');
    await setOrganizationState(holder.id, { status: 'deprovisioning' });
    const stillHeld = await call(app, 'POST', '/v1/organizations', {
      token: admin.token,
      json: { name: 'Second', subdomain: holder.subdomain },
    });
    assert.equal(stillHeld.status, 409, 'held until its record is gone');
    await setOrganizationState(holder.id, { status: 'deleted' });
    const reused = await call(app, 'POST', '/v1/organizations', {
      token: admin.token,
      json: { name: 'Second', subdomain: holder.subdomain },
    });
    assert.equal(reused.status, 202);
  });
});

describe('GET /v1/organizations[/{orgId}]', () => {
  it('lists every organization for a platform admin and only their own for others, by name in pages', async () => {
    const app = appOnFreshQueue();
    const admin = await createUser({ platformAdmin: true });
    const mine = await createOrganization('Aardvark Care');
    const other = await createOrganization('Aardvark Clinic');
    const member = await createMember(mine.id, 'member');

    const own = await call(app, 'GET', '/v1/organizations', { token: member.token });
    assert.equal(own.status, 200);
    assert.deepEqual(
      own.body.items.map((item: { id: string }) => item.id),
      [mine.id],
    );
    assert.equal(own.body.nextCursor, null);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=50&cursor=${cursor}` : '?limit=50';
      const pageResponse = await call(app, 'GET', `/v1/organizations${query}`, { token: admin.token });
      assert.equal(pageResponse.status, 200);
      seen.push(...pageResponse.body.items.map((item: { id: string }) => item.id));
      cursor = pageResponse.body.nextCursor;
    } while (cursor);
    assert.ok(seen.includes(mine.id) && seen.includes(other.id));
    assert.equal(new Set(seen).size, seen.length, 'no organization on two pages');

    const first = await call(app, 'GET', '/v1/organizations?limit=1', { token: admin.token });
    assert.equal(first.body.items.length, 1);
    assert.equal(typeof first.body.nextCursor, 'string');
    const bad = await call(app, 'GET', '/v1/organizations?cursor=nonsense', { token: admin.token });
    assert.equal(bad.status, 400, 'a malformed cursor is 400 (docs/spec.md §12)');
  });

  it('shows one organization with hostname, status, dnsStatus and logoUrl to its members; 404 to others', async () => {
    const app = appOnFreshQueue();
    const organization = await createOrganization('Shown');
    const member = await createMember(organization.id, 'member');
    const outsider = await createMember((await createOrganization()).id, 'owner');
    const response = await call(app, 'GET', `/v1/organizations/${organization.id}`, { token: member.token });
    assert.equal(response.status, 200);
    assert.deepEqual(
      {
        hostname: response.body.hostname,
        status: response.body.status,
        dnsStatus: response.body.dnsStatus,
        logoUrl: response.body.logoUrl,
      },
      {
        hostname: `${organization.subdomain}.${stack().config.BASE_DOMAIN}`,
        status: 'active',
        dnsStatus: 'in_sync',
        logoUrl: null,
      },
    );
    const hidden = await call(app, 'GET', `/v1/organizations/${organization.id}`, { token: outsider.token });
    assert.equal(hidden.status, 404);
    const missing = await call(app, 'GET', `/v1/organizations/${randomUUID()}`, { token: outsider.token });
    assert.equal(missing.status, 404);
    assert.equal(hidden.body.title, missing.body.title);
  });
});

describe('PATCH /v1/organizations/{orgId}', () => {
  it('renames with 200 and changes the subdomain with 202, both audited', async () => {
    const app = appOnFreshQueue();
    const organization = await createOrganization('Before');
    const orgAdmin = await createMember(organization.id, 'admin');
    const renamed = await call(app, 'PATCH', `/v1/organizations/${organization.id}`, {
      token: orgAdmin.token,
      json: { name: 'After', subdomain: organization.subdomain },
    });
    assert.equal(renamed.status, 200);
    assert.equal(renamed.body.name, 'After');
    assert.equal(renamed.body.status, 'active');
    assert.equal(renamed.body.workflowId, undefined);

    const subdomain = freshSubdomain('moved');
    const moved = await call(app, 'PATCH', `/v1/organizations/${organization.id}`, {
      token: orgAdmin.token,
      json: { subdomain },
    });
    assert.equal(moved.status, 202);
    assert.equal(moved.body.subdomain, subdomain);
    assert.equal(moved.body.hostname, `${subdomain}.${stack().config.BASE_DOMAIN}`);
    assert.equal(moved.body.status, 'provisioning');
    assert.equal(moved.body.dnsStatus, 'pending');
    assert.equal(moved.body.workflowId, organizationWorkflowId(organization.id));
    const audit = await auditTrail(organization.id);
    assert.deepEqual(
      audit.map((row) => [row.action, row.details]),
      [
        ['organization.rename', { from: 'Before', to: 'After' }],
        ['organization.subdomain_change', { from: organization.subdomain, to: subdomain }],
      ],
    );
  });

  it('answers 403 to members, 404 to other organizations, 409 for a taken subdomain, 422 for an invalid one', async () => {
    const app = appOnFreshQueue();
    const organization = await createOrganization();
    const other = await createOrganization();
    const member = await createMember(organization.id, 'member');
    const otherAdmin = await createMember(other.id, 'admin');
    const orgAdmin = await createMember(organization.id, 'admin');
    const path = `/v1/organizations/${organization.id}`;
    assert.equal((await call(app, 'PATCH', path, { token: member.token, json: { name: 'X' } })).status, 403);
    assert.equal(
      (await call(app, 'PATCH', path, { token: otherAdmin.token, json: { name: 'X' } })).status,
      404,
    );
    const taken = await call(app, 'PATCH', path, {
      token: orgAdmin.token,
      json: { subdomain: other.subdomain },
    });
    assert.equal(taken.status, 409);
    const invalid = await call(app, 'PATCH', path, {
      token: orgAdmin.token,
      json: { subdomain: 'Bad_Name' },
    });
    assert.equal(invalid.status, 422);
    assert.equal(invalid.body.errors[0].path, 'subdomain');
    const unchanged = await findOrganizationRow(organization.id);
    assert.equal(unchanged.subdomain, organization.subdomain);
    assert.equal(unchanged.status, 'active');
  });

  it('refuses a subdomain change (409) while the organization is failed, deleting or deleted', async () => {
    const app = appOnFreshQueue();
    const admin = await createUser({ platformAdmin: true });
    for (const status of ['failed', 'deprovisioning', 'deleted'] as const) {
      const organization = await createOrganization();
      await setOrganizationState(organization.id, { status });
      const response = await call(app, 'PATCH', `/v1/organizations/${organization.id}`, {
        token: admin.token,
        json: { subdomain: freshSubdomain() },
      });
      assert.equal(response.status, 409, status);
    }
  });
});

describe('DELETE /v1/organizations/{orgId} and POST …/provisioning/retry', () => {
  it('deprovisions for platform admins only: 202 deprovisioning, repeated 202, audited once', async () => {
    const app = appOnFreshQueue();
    const admin = await createUser({ platformAdmin: true });
    const organization = await createOrganization();
    const owner = await createMember(organization.id, 'owner');
    const outsider = await createMember((await createOrganization()).id, 'owner');
    const path = `/v1/organizations/${organization.id}`;
    assert.equal((await call(app, 'DELETE', path, { token: owner.token })).status, 403);
    assert.equal((await call(app, 'DELETE', path, { token: outsider.token })).status, 404);
    const deleting = await call(app, 'DELETE', path, { token: admin.token });
    assert.equal(deleting.status, 202);
    assert.equal(deleting.body.status, 'deprovisioning');
    assert.equal(deleting.body.workflowId, organizationWorkflowId(organization.id));
    assert.equal((await call(app, 'DELETE', path, { token: admin.token })).status, 202);
    const audit = await auditTrail(organization.id);
    assert.deepEqual(
      audit.map((row) => row.action),
      ['organization.delete'],
    );
    await setOrganizationState(organization.id, { status: 'deleted' });
    assert.equal((await call(app, 'DELETE', path, { token: admin.token })).status, 409);
  });

  it('retries only a failed organization, for platform admins only', async () => {
    const app = appOnFreshQueue();
    const admin = await createUser({ platformAdmin: true });
    const organization = await createOrganization();
    const owner = await createMember(organization.id, 'owner');
    const path = `/v1/organizations/${organization.id}/provisioning/retry`;
    assert.equal((await call(app, 'POST', path, { token: admin.token })).status, 409);
    await setOrganizationState(organization.id, { status: 'failed', failure_reason: 'Route 53 said no' });
    assert.equal((await call(app, 'POST', path, { token: owner.token })).status, 403);
    const retried = await call(app, 'POST', path, { token: admin.token });
    assert.equal(retried.status, 202);
    assert.equal(retried.body.status, 'provisioning');
    assert.equal(retried.body.workflowId, organizationWorkflowId(organization.id));
  });

  it('removes the logo for org admins (202), 403 for members', async () => {
    const app = appOnFreshQueue();
    const organization = await createOrganization();
    const member = await createMember(organization.id, 'member');
    const orgAdmin = await createMember(organization.id, 'admin');
    const path = `/v1/organizations/${organization.id}/logo`;
    assert.equal((await call(app, 'DELETE', path, { token: member.token })).status, 403);
    const removed = await call(app, 'DELETE', path, { token: orgAdmin.token });
    assert.equal(removed.status, 202);
    const audit = await auditTrail(organization.id);
    assert.deepEqual(
      audit.map((row) => row.action),
      ['organization.logo_remove'],
    );
  });
});
