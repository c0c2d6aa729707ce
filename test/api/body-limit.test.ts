import assert from 'node:assert/strict';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { serveApi } from '../../api/http-server';
import { createOrganization, createUser } from '../support/fixtures';
import { call } from '../support/http';
import { stack } from '../support/stack';

const MB = 1024 * 1024;
const HUGE = 300 * MB;

/** Sends up to HUGE bytes of text/csv, stopping as soon as the server answers. */
function sendHuge(port: number, path: string, options: { announceLength: boolean; method?: string }) {
  return new Promise<{ status: number; ms: number; sent: number; type: string }>((resolve, reject) => {
    const started = performance.now();
    const headers: Record<string, string> = { 'content-type': 'text/csv' };
    if (options.announceLength) headers['content-length'] = String(HUGE);
    else headers['transfer-encoding'] = 'chunked';
    const method = options.method ?? 'POST';
    const request = http.request({ host: '127.0.0.1', port, method, path, headers });
    const chunk = Buffer.alloc(64 * 1024, 'a');
    let sent = 0;
    let answered = false;
    request.on('response', (response) => {
      answered = true;
      response.resume();
      resolve({
        status: response.statusCode ?? 0,
        ms: performance.now() - started,
        sent,
        type: String(response.headers['content-type']),
      });
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
  let server: ReturnType<typeof serveApi>;
  let port: number;

  before(async () => {
    const app = stack().createApp();
    await new Promise<void>((resolve) => {
      server = serveApi({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve());
    });
    port = (server.address() as AddressInfo).port;
  });

  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  for (const announceLength of [true, false]) {
    it(`answers 300 MB of text/csv to POST /v1/auth/login with a quick 413 and no RSS growth (${announceLength ? 'Content-Length' : 'chunked'})`, async function () {
      this.timeout(60_000);
      const rssBefore = process.memoryUsage().rss;
      const { status, ms, sent } = await sendHuge(port, '/v1/auth/login', { announceLength });
      const grownMb = (process.memoryUsage().rss - rssBefore) / MB;
      assert.equal(status, 413);
      assert.ok(ms < 5000, `answered in ${ms.toFixed(0)} ms`);
      assert.ok(sent < 100 * MB, `the server stopped reading after ${(sent / MB).toFixed(1)} MB`);
      assert.ok(grownMb < 64, `RSS grew by ${grownMb.toFixed(0)} MB`);
    });
  }

  for (const [method, path] of [
    ['GET', '/health'],
    ['GET', '/openapi.json'],
    ['HEAD', '/health'],
    ['OPTIONS', '/v1/auth/login'],
  ] as const) {
    for (const announceLength of [true, false]) {
      it(`answers 300 MB sent with ${method} ${path} with a quick 413, reading little of it (${announceLength ? 'Content-Length' : 'chunked'})`, async function () {
        this.timeout(60_000);
        const { status, ms, sent, type } = await sendHuge(port, path, { announceLength, method });
        assert.equal(status, 413);
        if (method !== 'HEAD') assert.equal(type, 'application/problem+json');
        assert.ok(ms < 5000, `answered in ${ms.toFixed(0)} ms`);
        assert.ok(sent < 100 * MB, `the server stopped reading after ${(sent / MB).toFixed(1)} MB`);
      });
    }
  }

  it('answers what Node’s parser refuses with problem+json too: headers over 16 KB (431), a bare LF (400)', async () => {
    const ask = (raw: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = net.connect(port, '127.0.0.1', () => socket.end(raw));
        let answer = '';
        socket.on('data', (chunk) => {
          answer += chunk.toString();
        });
        socket.on('close', () => resolve(answer));
        socket.on('error', reject);
      });
    const cases = [
      [`GET /health HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${'a'.repeat(20_000)}\r\n\r\n`, 431],
      ['GET /health HTTP/1.1\r\nHost: x\r\nX-A: 1\nX-B: 2\r\n\r\n', 400],
      ['GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n', 400],
    ] as const;
    for (const [raw, status] of cases) {
      const answer = await ask(raw);
      const [head = '', body = ''] = answer.split('\r\n\r\n');
      assert.match(head, new RegExp(`^HTTP/1.1 ${status} `), answer.slice(0, 200));
      assert.match(head, /\r\nContent-Type: application\/problem\+json\r\n/i);
      assert.match(head, /\r\nX-Request-Id: [0-9a-f-]{36}\r\n/i);
      assert.equal(JSON.parse(body).status, status);
    }
  });

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
