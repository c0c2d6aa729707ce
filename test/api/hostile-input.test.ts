import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { encodeCursor } from '../../api/paging';
import { createOrganization, createUser, findOrganizationRow } from '../support/fixtures';
import { call } from '../support/http';
import { stack } from '../support/stack';

/** Issue 21: input an attacker or a careless client sends answers 4xx naming the field, never 500. */

const fieldsOf = (body: { errors?: { path: string }[] }) => (body.errors ?? []).map((error) => error.path);

describe('hostile input answers 4xx naming the field', () => {
  // ["x","x"]: a cursor of the right shape whose values have the wrong types.
  const WRONG_TYPES = 'WyJ4IiwieCJd';

  // Each route's cursor is keyed by a name (text) or a time, then an id.
  const byName = [encodeCursor(['a\u0000b', randomUUID()])];
  const byTime = [
    encodeCursor(['2026-02-30T00:00:00Z', randomUUID()]),
    encodeCursor(['2026-01-01T25:00:00Z', randomUUID()]),
  ];
  const routes: [string, string[]][] = [
    ['/v1/organizations', byName],
    ['/v1/oig/exclusions', byName],
    ['/v1/oig/checks', byTime],
    ['/v1/audit-log', byTime],
  ];
  for (const [path, keyed] of routes) {
    it(`answers 400 naming query.cursor for a cursor of wrong value types on ${path}`, async () => {
      const { token } = await createUser({ platformAdmin: true });
      const app = stack().createApp();
      // docs/spec.md §12: a malformed cursor is 400 — also one too long to be ours.
      for (const cursor of [WRONG_TYPES, encodeCursor([randomUUID()]), ...keyed, 'A'.repeat(1001)]) {
        const response = await call(app, 'GET', `${path}?cursor=${cursor}`, { token });
        assert.equal(response.status, 400, `${path} ${cursor}: ${JSON.stringify(response.body)}`);
        assert.deepEqual(fieldsOf(response.body), ['query.cursor']);
      }
    });
  }

  it('answers 422 naming query.q for a NUL character in the employee search', async () => {
    const { token } = await createUser({ platformAdmin: true });
    const org = await createOrganization();
    const response = await call(stack().createApp(), 'GET', `/v1/organizations/${org.id}/employees?q=%00`, {
      token,
    });
    assert.equal(response.status, 422, JSON.stringify(response.body));
    assert.deepEqual(fieldsOf(response.body), ['query.q']);
  });

  it('refuses a NUL character in an organization name on POST and PATCH, storing nothing', async () => {
    const { token } = await createUser({ platformAdmin: true });
    const app = stack().createApp({ TEMPORAL_TASK_QUEUE: `hostile-${randomUUID()}` });
    const created = await call(app, 'POST', '/v1/organizations', {
      token,
      json: { name: 'Acme\u0000Care', subdomain: `nul-${randomUUID().slice(0, 8)}` },
    });
    assert.equal(created.status, 422, JSON.stringify(created.body));
    assert.deepEqual(fieldsOf(created.body), ['name']);

    const org = await createOrganization('Before');
    const patched = await call(app, 'PATCH', `/v1/organizations/${org.id}`, {
      token,
      json: { name: 'After\u0000' },
    });
    assert.equal(patched.status, 422, JSON.stringify(patched.body));
    assert.deepEqual(fieldsOf(patched.body), ['name']);
    assert.equal((await findOrganizationRow(org.id)).name, 'Before');
  });

  it('names a NUL character in any body field', async () => {
    const { token } = await createUser({ platformAdmin: true });
    const org = await createOrganization();
    const app = stack().createApp();
    const value = await call(app, 'POST', `/v1/organizations/${org.id}/employees`, {
      token,
      json: { kind: 'employee', externalId: 'E-NUL-1', firstName: 'Ann', lastName: 'Lee', title: 'RN\u0000' },
    });
    assert.equal(value.status, 422, JSON.stringify(value.body));
    assert.deepEqual(fieldsOf(value.body), ['title']);
  });

  it('answers 422 naming the key for an S3 webhook key that is not URL-encoded', async () => {
    const response = await call(stack().createApp(), 'POST', '/v1/webhooks/s3', {
      headers: { 'x-webhook-secret': stack().config.WEBHOOK_SECRET },
      json: {
        Records: [
          {
            eventName: 'ObjectCreated:Put',
            s3: { bucket: { name: stack().config.AWS_S3_BUCKET_NAME }, object: { key: '%' } },
          },
        ],
      },
    });
    assert.equal(response.status, 422, JSON.stringify(response.body));
    assert.deepEqual(fieldsOf(response.body), ['Records.0.s3.object.key']);
  });

  it('answers 401 for a validly signed token whose sub is not a UUID', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ typ: 'access' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('not-a-uuid')
      .setIssuer('ale-backend')
      .setAudience('ale-api')
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(new TextEncoder().encode(stack().config.AUTH_JWT_SECRET));
    const org = await createOrganization();
    const app = stack().createApp();
    for (const path of ['/v1/auth/me', '/v1/organizations', `/v1/organizations/${org.id}`]) {
      const response = await call(app, 'GET', path, { token });
      assert.equal(response.status, 401, `${path}: ${JSON.stringify(response.body)}`);
      assert.equal(response.headers.get('www-authenticate'), 'Bearer');
    }
  });
});
