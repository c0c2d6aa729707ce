import assert from 'node:assert/strict';
import { call } from '../support/http';
import { stack } from '../support/stack';

describe('problem+json for every failure', () => {
  it('answers an unknown route with 404', async () => {
    const response = await call(stack().createApp(), 'GET', '/v1/nothing-here');
    assert.equal(response.status, 404);
    assert.equal(response.headers.get('content-type'), 'application/problem+json');
    assert.equal(response.body.status, 404);
    assert.match(response.body.detail, /GET \/v1\/nothing-here/);
  });

  it('answers a wrong method with 405 and Allow', async () => {
    const response = await call(stack().createApp(), 'DELETE', '/v1/auth/login');
    assert.equal(response.status, 405);
    assert.equal(response.headers.get('content-type'), 'application/problem+json');
    assert.match(response.headers.get('allow') ?? '', /POST/);
  });

  it('answers malformed JSON with 400', async () => {
    const response = await call(stack().createApp(), 'POST', '/v1/auth/login', {
      body: '{"email": "a@b.c", ',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(response.status, 400);
    assert.equal(response.headers.get('content-type'), 'application/problem+json');
    assert.match(response.body.detail, /not valid JSON/);
  });

  it('answers a body over 1 MB with 413', async () => {
    const big = JSON.stringify({ email: 'a@b.c', password: 'x'.repeat(1024 * 1024) });
    const response = await call(stack().createApp(), 'POST', '/v1/auth/login', {
      body: big,
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(response.status, 413);
    assert.equal(response.headers.get('content-type'), 'application/problem+json');
  });

  it('tags every response with a request id', async () => {
    const response = await call(stack().createApp(), 'GET', '/health');
    assert.match(response.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
  });
});

describe('OpenAPI', () => {
  it('documents the routes it serves', async () => {
    const app = stack().createApp();
    const doc = await call(app, 'GET', '/openapi.json');
    assert.equal(doc.status, 200);
    assert.equal(doc.body.openapi, '3.1.0');
    for (const path of ['/health', '/ready', '/v1/auth/login', '/v1/auth/me']) {
      assert.ok(doc.body.paths[path], `${path} documented`);
    }
    const docs = await call(app, 'GET', '/docs');
    assert.equal(docs.status, 200);
    assert.match(docs.body, /swagger-ui/i);
  });
});
