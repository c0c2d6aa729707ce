import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { createMember, createOrganization } from '../support/fixtures';
import { call } from '../support/http';
import { stack } from '../support/stack';
import { employeeCsv } from '../workflows/roster-import-support';

// No worker polls these task queues: the answers are under test, not the work.
const appOnFreshQueue = () => stack().createApp({ TEMPORAL_TASK_QUEUE: `answers-${randomUUID()}` });
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

async function setup() {
  const app = appOnFreshQueue();
  const org = await createOrganization();
  const admin = await createMember(org.id, 'admin');
  const importsPath = `/v1/organizations/${org.id}/imports`;
  const importCount = async () =>
    (await call(app, 'GET', `${importsPath}?limit=100`, { token: admin.token })).body.items.length;
  return { app, org, admin, importsPath, importCount };
}

const paths = (body: { errors: { path: string }[] }) => body.errors.map((e) => e.path);

describe('415: the accepted types and a call that works', () => {
  it('a multipart form (curl -F) on the import route names the types and shows --data-binary', async () => {
    const { app, admin, importsPath, importCount } = await setup();
    const form = new FormData();
    form.append('file', new Blob([employeeCsv(1)], { type: 'text/csv' }), 'roster.csv');
    const response = await call(app, 'POST', `${importsPath}?kind=employees`, {
      token: admin.token,
      body: form,
    });
    assert.equal(response.status, 415);
    assert.match(response.body.detail, /multipart form \(as `curl -F` sends\)/);
    assert.deepEqual(response.body.acceptedContentTypes, ['text/csv', XLSX, 'application/json']);
    assert.equal(
      response.body.example,
      `curl -H 'Authorization: Bearer $TOKEN' -H 'Content-Type: text/csv' --data-binary @roster.csv 'http://localhost${importsPath}?kind=employees'`,
    );
    assert.ok(response.body.detail.includes(response.body.example));
    assert.equal(response.headers.get('accept-post'), `text/csv, ${XLSX}, application/json`);
    assert.equal(await importCount(), 0);
  });

  it('a body without Content-Type, and text/plain, answer the same way', async () => {
    const { app, admin, importsPath } = await setup();
    const untyped = await call(app, 'POST', `${importsPath}?kind=employees`, {
      token: admin.token,
      body: new TextEncoder().encode(employeeCsv(1)),
    });
    assert.equal(untyped.status, 415);
    assert.match(untyped.body.detail, /The request has no Content-Type/);
    assert.match(untyped.body.example, /--data-binary @roster\.csv/);
    const plain = await call(app, 'POST', `${importsPath}?kind=employees`, {
      token: admin.token,
      body: employeeCsv(1),
      headers: { 'content-type': 'text/plain' },
    });
    assert.equal(plain.status, 415);
    assert.match(plain.body.detail, /Content-Type text\/plain is not accepted here/);
    assert.deepEqual(plain.body.acceptedContentTypes, ['text/csv', XLSX, 'application/json']);
  });

  it('a JSON route names application/json and shows a JSON call', async () => {
    const response = await call(stack().createApp(), 'POST', '/v1/auth/login', {
      body: 'email=a@b.c&password=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(response.status, 415);
    assert.deepEqual(response.body.acceptedContentTypes, ['application/json']);
    assert.equal(
      response.body.example,
      "curl -H 'Content-Type: application/json' --data @body.json 'http://localhost/v1/auth/login'",
    );
  });

  it('a compressed body (Content-Encoding: gzip) is 415 saying to send it uncompressed, not "not valid JSON"', async () => {
    const { app, importsPath, admin, importCount } = await setup();
    const before = await importCount();
    const login = await call(app, 'POST', '/v1/auth/login', {
      body: gzipSync(JSON.stringify({ email: 'a@example.test', password: 'x'.repeat(12) })),
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    });
    assert.equal(login.status, 415);
    assert.equal(login.headers.get('content-type'), 'application/problem+json');
    assert.match(login.body.detail, /Content-Encoding gzip is not accepted: send the body uncompressed/);
    const upload = await call(app, 'POST', `${importsPath}?kind=employees`, {
      token: admin.token,
      body: gzipSync(employeeCsv(2)),
      headers: { 'content-type': 'text/csv', 'content-encoding': 'gzip' },
    });
    assert.equal(upload.status, 415);
    assert.equal(await importCount(), before, 'nothing was imported');
    const plain = await call(app, 'POST', '/v1/auth/login', {
      json: { email: 'a@example.test', password: 'x'.repeat(12) },
      headers: { 'content-encoding': 'identity' },
    });
    assert.equal(plain.status, 401);
  });

  it('a logo sent as a multipart form, or as a file that is no image, is shown the raw PUT', async () => {
    const { app, admin, org } = await setup();
    const logoPath = `/v1/organizations/${org.id}/logo`;
    const form = new FormData();
    form.append(
      'logo',
      new Blob([new Uint8Array([0x89, 0x50, 0x4e, 0x47])], { type: 'image/png' }),
      'logo.png',
    );
    const multipart = await call(app, 'PUT', logoPath, { token: admin.token, body: form });
    assert.equal(multipart.status, 415);
    assert.deepEqual(multipart.body.acceptedContentTypes, ['image/*', 'application/octet-stream']);
    assert.match(
      multipart.body.example,
      /^curl -X PUT .*-H 'Content-Type: image\/png' --data-binary @logo\.png /,
    );
    const text = await call(app, 'PUT', logoPath, {
      token: admin.token,
      body: new TextEncoder().encode('not an image'),
      headers: { 'content-type': 'image/png' },
    });
    assert.equal(text.status, 415);
    assert.match(text.body.detail, /For example: curl -X PUT/);
  });
});

describe('422 at once: an empty upload, and every error of a request together', () => {
  it('an empty roster file is refused before anything is stored, naming the body', async () => {
    const { app, admin, importsPath, importCount } = await setup();
    const empty = await call(app, 'POST', `${importsPath}?kind=employees`, {
      token: admin.token,
      body: '',
      headers: { 'content-type': 'text/csv' },
    });
    assert.equal(empty.status, 422);
    assert.deepEqual(paths(empty.body), ['(body)']);
    assert.match(empty.body.errors[0].message, /The file is empty/);
    // A streamed body that ends without a byte is the same.
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new Uint8Array(0));
        controller.close();
      },
    });
    const streamed = await app.request(`${importsPath}?kind=employees`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'text/csv' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    assert.equal(streamed.status, 422);
    assert.equal(await importCount(), 0);
  });

  it('an empty logo is 422 naming the body', async () => {
    const { app, admin, org } = await setup();
    const response = await call(app, 'PUT', `/v1/organizations/${org.id}/logo`, {
      token: admin.token,
      body: new Uint8Array(0),
      headers: { 'content-type': 'image/png' },
    });
    assert.equal(response.status, 422);
    assert.deepEqual(paths(response.body), ['(body)']);
  });

  it('a missing kind does not hide the other problems of an import request', async () => {
    const { app, admin, importsPath } = await setup();
    const file = await call(app, 'POST', `${importsPath}?mode=replce`, {
      token: admin.token,
      body: '',
      headers: { 'content-type': 'text/csv' },
    });
    assert.equal(file.status, 422);
    assert.deepEqual(paths(file.body), ['query.mode', 'query.kind', '(body)']);
    const bothOnly = await call(app, 'POST', importsPath, {
      token: admin.token,
      body: '',
      headers: { 'content-type': 'text/csv' },
    });
    assert.deepEqual(paths(bothOnly.body), ['query.kind', '(body)']);
    const json = await call(app, 'POST', `${importsPath}?mode=replce`, {
      token: admin.token,
      json: { s3Key: '', dryRun: 'yes' },
    });
    assert.equal(json.status, 422);
    assert.deepEqual(paths(json.body).sort(), ['dryRun', 'kind', 'query.mode', 's3Key']);
  });

  it('a new employee sent with no body at all, or an empty JSON body, is told what is missing', async () => {
    const { app, admin, org } = await setup();
    const employeesPath = `/v1/organizations/${org.id}/employees`;
    const bare = await call(app, 'POST', employeesPath, { token: admin.token });
    assert.equal(bare.status, 422, JSON.stringify(bare.body));
    assert.ok(paths(bare.body).includes('kind'), JSON.stringify(bare.body));
    const empty = await call(app, 'POST', employeesPath, {
      token: admin.token,
      body: '',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(empty.status, 400, JSON.stringify(empty.body));
    assert.match(empty.body.detail, /JSON/);
  });

  it('a new employee: schema and row-rule errors together, in the request’s field names', async () => {
    const { app, admin, org } = await setup();
    const response = await call(app, 'POST', `/v1/organizations/${org.id}/employees`, {
      token: admin.token,
      json: {
        externalId: 'E1',
        firstName: 'Ann',
        lastName: 'Lee',
        dateOfBirth: '2099-01-01',
        npi: '1234567890',
      },
    });
    assert.equal(response.status, 422);
    assert.deepEqual(paths(response.body), ['kind', 'dateOfBirth', 'npi']);
    const messages = response.body.errors.map((e: { message: string }) => e.message);
    assert.deepEqual(messages.slice(1), [
      'dateOfBirth is in the future.',
      'npi must be 10 digits with a valid check digit.',
    ]);
    assert.ok(
      messages.every((message: string) => !/date_of_birth|_/.test(message)),
      messages.join(' / '),
    );
  });
});
