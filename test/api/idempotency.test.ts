import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { execute, query } from '../../db/sql';
import { createMember, createOrganization, createUser } from '../support/fixtures';
import { call } from '../support/http';
import { stack } from '../support/stack';
import { freshSubdomain } from '../workflows/organization-support';
import { employeeCsv, putObject } from '../workflows/roster-import-support';

/**
 * docs/spec.md §12: creating POSTs take an `Idempotency-Key`: the same key and body within 24 h
 * answer with the first response; the same key with another body is 422.
 */
describe('Idempotency-Key on creating POSTs (docs/spec.md §12)', () => {
  const app = () => stack().createApp({ TEMPORAL_TASK_QUEUE: `idempotency-${randomUUID()}` });
  const person = (externalId: string) => ({
    kind: 'employee',
    externalId,
    firstName: 'Ida',
    lastName: 'Empotent',
  });
  const employeesWith = (organizationId: string, externalId: string) =>
    query<{ id: string }>(
      stack().sequelize,
      'SELECT id FROM employees WHERE organization_id = $organizationId AND external_id = $externalId',
      { organizationId, externalId },
    );

  it('the same key and body answer with the first response; the person is created once', async () => {
    const api = app();
    const org = await createOrganization();
    const admin = await createMember(org.id, 'admin');
    const key = randomUUID();
    const send = () =>
      call(api, 'POST', `/v1/organizations/${org.id}/employees`, {
        token: admin.token,
        json: person('IDEM-1'),
        headers: { 'Idempotency-Key': key },
      });
    const first = await send();
    assert.equal(first.status, 202, JSON.stringify(first.body));
    const again = await send();
    assert.equal(again.status, 202);
    assert.deepEqual(again.body, first.body);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assert.equal(again.headers.get('location'), first.headers.get('location'));
    assert.equal((await employeesWith(org.id, 'IDEM-1')).length, 1);
  });

  it('the same key with another body is 422 naming the header; nothing is created', async () => {
    const api = app();
    const org = await createOrganization();
    const admin = await createMember(org.id, 'admin');
    const key = randomUUID();
    const post = (externalId: string) =>
      call(api, 'POST', `/v1/organizations/${org.id}/employees`, {
        token: admin.token,
        json: person(externalId),
        headers: { 'Idempotency-Key': key },
      });
    assert.equal((await post('IDEM-A')).status, 202);
    const other = await post('IDEM-B');
    assert.equal(other.status, 422);
    assert.equal(other.headers.get('content-type'), 'application/problem+json');
    assert.deepEqual(
      other.body.errors.map((error: { path: string }) => error.path),
      ['header.Idempotency-Key'],
    );
    assert.equal((await employeesWith(org.id, 'IDEM-B')).length, 0);
  });

  it('a first request that failed frees its key; a key past 24 h is forgotten', async () => {
    const api = app();
    const org = await createOrganization();
    const admin = await createMember(org.id, 'admin');
    const key = randomUUID();
    const post = (json: unknown) =>
      call(api, 'POST', `/v1/organizations/${org.id}/employees`, {
        token: admin.token,
        json,
        headers: { 'Idempotency-Key': key },
      });
    assert.equal((await post({ ...person('IDEM-X'), npi: '1234567890' })).status, 422);
    assert.equal((await post(person('IDEM-X'))).status, 202, 'the failed attempt did not hold the key');
    await execute(
      stack().sequelize,
      "UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = $key",
      { key },
    );
    const later = await post(person('IDEM-Y'));
    assert.equal(later.status, 202, 'after 24 h the key is new again');
    assert.equal((await employeesWith(org.id, 'IDEM-Y')).length, 1);
  });

  it('keys are per user; concurrent repeats create once', async () => {
    const api = app();
    const org = await createOrganization();
    const [a, b] = [await createMember(org.id, 'admin'), await createMember(org.id, 'admin')];
    const key = randomUUID();
    const invite = (token: string, email: string) =>
      call(api, 'POST', `/v1/organizations/${org.id}/invitations`, {
        token,
        json: { email, role: 'member' },
        headers: { 'Idempotency-Key': key },
      });
    const [first, second] = await Promise.all([
      invite(a.token, `idem-a-${randomUUID()}@example.test`),
      invite(b.token, `idem-b-${randomUUID()}@example.test`),
    ]);
    assert.deepEqual([first.status, second.status], [202, 202]);
    assert.notEqual(first.body.id, second.body.id);

    const racing = await Promise.all(
      Array.from({ length: 4 }, () =>
        call(api, 'POST', `/v1/organizations/${org.id}/employees`, {
          token: a.token,
          json: person('IDEM-RACE'),
          headers: { 'Idempotency-Key': `race-${key}` },
        }),
      ),
    );
    assert.ok(
      racing.every((response) => response.status === 202 || response.status === 409),
      racing.map((response) => response.status).join(','),
    );
    assert.ok(racing.some((response) => response.status === 202));
    assert.equal((await employeesWith(org.id, 'IDEM-RACE')).length, 1);
  });

  it('organizations and JSON imports honour it too; an invalid key is 422', async () => {
    const api = app();
    const platformAdmin = await createUser({ platformAdmin: true });
    const key = randomUUID();
    const body = { name: 'Idempotent Home Care', subdomain: freshSubdomain('idem') };
    const create = () =>
      call(api, 'POST', '/v1/organizations', {
        token: platformAdmin.token,
        json: body,
        headers: { 'Idempotency-Key': key },
      });
    const first = await create();
    assert.equal(first.status, 202, JSON.stringify(first.body));
    const again = await create();
    assert.deepEqual([again.status, again.body.id], [202, first.body.id]);

    const org = await createOrganization();
    const admin = await createMember(org.id, 'admin');
    const s3Key = `imports/${org.id}/employees/${randomUUID()}/roster.csv`;
    await putObject(s3Key, employeeCsv(2));
    const startImport = () =>
      call(api, 'POST', `/v1/organizations/${org.id}/imports`, {
        token: admin.token,
        json: { kind: 'employees', s3Key },
        headers: { 'Idempotency-Key': key },
      });
    const imported = await startImport();
    assert.equal(imported.status, 202, JSON.stringify(imported.body));
    const importedAgain = await startImport();
    assert.deepEqual([importedAgain.status, importedAgain.body.id], [202, imported.body.id]);

    const tooLong = await call(api, 'POST', '/v1/organizations', {
      token: platformAdmin.token,
      json: { name: 'X', subdomain: freshSubdomain('idem') },
      headers: { 'Idempotency-Key': 'k'.repeat(256) },
    });
    assert.equal(tooLong.status, 422);
    assert.match(JSON.stringify(tooLong.body.errors), /idempotency-key/i);
  });

  it('a roster file sent as the body honours it: one import, one stored file; another file is 422', async () => {
    const api = app();
    const org = await createOrganization();
    const admin = await createMember(org.id, 'admin');
    const key = randomUUID();
    const upload = (csv: string) =>
      call(api, 'POST', `/v1/organizations/${org.id}/imports?kind=employees`, {
        token: admin.token,
        body: csv,
        headers: { 'content-type': 'text/csv', 'Idempotency-Key': key },
      });
    const first = await upload(employeeCsv(2));
    assert.equal(first.status, 202, JSON.stringify(first.body));
    const again = await upload(employeeCsv(2));
    assert.deepEqual(
      [again.status, again.body.id, again.headers.get('idempotent-replayed'), again.headers.get('location')],
      [202, first.body.id, 'true', first.headers.get('location')],
    );
    const other = await upload(employeeCsv(3));
    assert.equal(other.status, 422);
    assert.deepEqual(
      other.body.errors.map((e: { path: string }) => e.path),
      ['header.Idempotency-Key'],
    );
    const imports = await call(api, 'GET', `/v1/organizations/${org.id}/imports`, { token: admin.token });
    assert.deepEqual(
      imports.body.items.map((item: { id: string }) => item.id),
      [first.body.id],
    );
    const stored = await stack().s3.send(
      new ListObjectsV2Command({
        Bucket: stack().config.AWS_S3_BUCKET_NAME,
        Prefix: `imports/${org.id}/`,
      }),
    );
    assert.deepEqual(
      (stored.Contents ?? []).map((object) => object.Key),
      [first.body.sourceKey],
      'the repeats’ copies were not kept',
    );
  });

  it('a rescreen request honours it: the same key answers with the first run, even once that run ended', async () => {
    const api = app();
    const org = await createOrganization();
    const admin = await createMember(org.id, 'admin');
    const key = randomUUID();
    const rescreen = (headers: Record<string, string> = {}) =>
      call(api, 'POST', `/v1/organizations/${org.id}/exclusion-screenings`, { token: admin.token, headers });
    const first = await rescreen({ 'Idempotency-Key': key });
    assert.equal(first.status, 202, JSON.stringify(first.body));
    // The run ends: a request without the key now asks for a new one.
    await execute(
      stack().sequelize,
      `UPDATE screening_runs SET status = 'succeeded', finished_at = now() WHERE id = $id`,
      { id: first.body.id },
    );
    const again = await rescreen({ 'Idempotency-Key': key });
    assert.deepEqual(
      [again.status, again.body.id, again.headers.get('idempotent-replayed')],
      [202, first.body.id, 'true'],
    );
    const fresh = await rescreen();
    assert.equal(fresh.status, 202);
    assert.notEqual(fresh.body.id, first.body.id);
    const invalid = await rescreen({ 'Idempotency-Key': 'a b' });
    assert.equal(invalid.status, 422);
  });

  it('the OpenAPI document states the header on every creating POST', async () => {
    const doc = (await call(app(), 'GET', '/openapi.json')).body;
    for (const path of [
      '/v1/organizations',
      '/v1/organizations/{orgId}/employees',
      '/v1/organizations/{orgId}/invitations',
      '/v1/organizations/{orgId}/imports',
      '/v1/organizations/{orgId}/exclusion-screenings',
    ]) {
      const names = (doc.paths[path].post.parameters ?? []).map(
        (p: { name: string; in: string }) => `${p.in}:${p.name}`,
      );
      assert.ok(
        names.some((name: string) => /^header:idempotency-key$/i.test(name)),
        `${path}: ${names}`,
      );
    }
  });
});
