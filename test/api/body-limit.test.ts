import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createOrganization, createUser } from '../support/fixtures';
import { call } from '../support/http';
import { stack } from '../support/stack';

const MB = 1024 * 1024;
const HUGE = 300 * MB;

/** POSTs up to HUGE bytes of text/csv, stopping as soon as the server answers. */
function postHuge(port: number, path: string, options: { announceLength: boolean }) {
  return new Promise<{ status: number; ms: number; sent: number }>((resolve, reject) => {
    const started = performance.now();
    const headers: Record<string, string> = { 'content-type': 'text/csv' };
    if (options.announceLength) headers['content-length'] = String(HUGE);
    const request = http.request({ host: '127.0.0.1', port, method: 'POST', path, headers });
    const chunk = Buffer.alloc(64 * 1024, 'a');
    let sent = 0;
    let answered = false;
    request.on('response', (response) => {
      answered = true;
      response.resume();
      resolve({ status: response.statusCode ?? 0, ms: performance.now() - started, sent });
      request.destroy();
    });
    request.on('error', (error) => {
      if (!answered) reject(error);
    });
    const pump = () => {
      while (!answered && sent < HUGE) {
        sent += chunk.length;
        if (!request.write(chunk)) {
          request.once('drain', pump);
          return;
        }
      }
      if (!answered) request.end();
    };
    pump();
  });
}

describe('request bodies are capped before they are buffered', () => {
  let server: ReturnType<typeof serve>;
  let port: number;

  before(async () => {
    const app = stack().createApp();
    await new Promise<void>((resolve) => {
      server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve());
    });
    port = (server.address() as AddressInfo).port;
  });

  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  for (const announceLength of [true, false]) {
    it(`answers 300 MB of text/csv to POST /v1/auth/login with a quick 413 and no RSS growth (${announceLength ? 'Content-Length' : 'chunked'})`, async function () {
      this.timeout(60_000);
      const rssBefore = process.memoryUsage().rss;
      const { status, ms, sent } = await postHuge(port, '/v1/auth/login', { announceLength });
      const grownMb = (process.memoryUsage().rss - rssBefore) / MB;
      assert.equal(status, 413);
      assert.ok(ms < 5000, `answered in ${ms.toFixed(0)} ms`);
      assert.ok(sent < 100 * MB, `the server stopped reading after ${(sent / MB).toFixed(1)} MB`);
      assert.ok(grownMb < 64, `RSS grew by ${grownMb.toFixed(0)} MB`);
    });
  }

  it('caps file content types at 1 MB on every route but the uploads', async () => {
    const app = stack().createApp();
    const body = 'a'.repeat(2 * MB);
    for (const type of ['text/csv', 'image/png', 'application/octet-stream']) {
      const login = await call(app, 'POST', '/v1/auth/login', { body, headers: { 'content-type': type } });
      assert.equal(login.status, 413, `${type} to /v1/auth/login`);
      assert.equal(login.headers.get('content-type'), 'application/problem+json');
    }
    const webhook = await call(app, 'POST', '/v1/webhooks/s3', {
      body,
      headers: { 'content-type': 'application/octet-stream' },
    });
    assert.equal(webhook.status, 413);
  });

  it('leaves the logo upload its own cap (2 MB), above the 1 MB of other routes', async () => {
    const { token } = await createUser({ platformAdmin: true });
    const org = await createOrganization();
    const response = await call(stack().createApp(), 'PUT', `/v1/organizations/${org.id}/logo`, {
      token,
      body: new Uint8Array(1.5 * MB),
      headers: { 'content-type': 'image/png' },
    });
    assert.notEqual(response.status, 413, JSON.stringify(response.body));
  });
});
