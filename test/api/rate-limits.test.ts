import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Config } from '../../lib/config';
import { startApiProcess } from '../support/api-process';
import { createUser, TEST_PASSWORD } from '../support/fixtures';
import { call } from '../support/http';
import { stack } from '../support/stack';

/**
 * docs/spec.md §11: rate limits kept in Postgres. The suite's stack runs with limits it cannot
 * reach; each test here sets low ones on its own app and uses its own client addresses and emails,
 * so the shared counters of other tests never meet these.
 */

type App = ReturnType<ReturnType<typeof stack>['createApp']>;

let octet = 0;
/** A client address no other test uses (TEST-NET-3 plus a per-run random part). */
const freshAddress = () => `203.0.${Math.floor(Math.random() * 200)}.${(octet++ % 250) + 1}`;

/** A request from a socket at `address` (the Node adapter's `incoming`), optionally with headers. */
function from(app: App, address: string, path: string, init: RequestInit = {}) {
  return app.request(path, init, {
    incoming: { socket: { remoteAddress: address, remotePort: 40000, remoteFamily: 'IPv4' } },
  });
}

const login = (app: App, address: string, email: string, password: string) =>
  from(app, address, '/v1/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });

function assertLimited(response: Response, limit: number) {
  assert.equal(response.status, 429);
  assert.equal(response.headers.get('content-type'), 'application/problem+json');
  const retryAfter = Number(response.headers.get('retry-after'));
  assert.ok(retryAfter >= 1 && retryAfter <= 3600, `Retry-After ${retryAfter}`);
  assert.equal(response.headers.get('ratelimit-limit'), String(limit));
  assert.equal(response.headers.get('ratelimit-remaining'), '0');
  assert.ok(Number(response.headers.get('ratelimit-reset')) >= 1);
}

describe('rate limit per client address (anonymous)', () => {
  const app = (overrides: Partial<Config> = {}) =>
    stack().createApp({ RATE_LIMIT_ANON_PER_MINUTE: 3, ...overrides });

  it('answers 429 with Retry-After and RateLimit-* past the limit; another address is unaffected', async () => {
    const limited = app();
    const address = freshAddress();
    for (let i = 0; i < 3; i++) {
      const response = await from(limited, address, '/v1/auth/me');
      assert.equal(response.status, 401);
      assert.equal(response.headers.get('ratelimit-limit'), '3');
      assert.equal(response.headers.get('ratelimit-remaining'), String(2 - i));
    }
    const over = await from(limited, address, '/v1/auth/me');
    assertLimited(over, 3);
    assert.match(((await over.json()) as { detail: string }).detail, /Too many requests/);
    assert.equal((await from(limited, freshAddress(), '/v1/auth/me')).status, 401);
    // Liveness and readiness are never limited.
    assert.equal((await from(limited, address, '/health')).status, 200);
  });

  it('ignores X-Forwarded-For without TRUST_PROXY_HOPS: a spoofed header does not buy a new bucket', async () => {
    const limited = app({ TRUST_PROXY_HOPS: 0 });
    const address = freshAddress();
    const spoofed = () => ({ headers: { 'x-forwarded-for': freshAddress() } });
    for (let i = 0; i < 3; i++)
      assert.equal((await from(limited, address, '/v1/auth/me', spoofed())).status, 401);
    assertLimited(await from(limited, address, '/v1/auth/me', spoofed()), 3);
  });

  it('with TRUST_PROXY_HOPS=1 counts the address the proxy saw, not what the client wrote before it', async () => {
    const limited = app({ TRUST_PROXY_HOPS: 1 });
    const proxy = freshAddress();
    const client = freshAddress();
    const via = (written: string) => ({ headers: { 'x-forwarded-for': `${written}, ${client}` } });
    for (let i = 0; i < 3; i++) {
      assert.equal((await from(limited, proxy, '/v1/auth/me', via(freshAddress()))).status, 401);
    }
    assertLimited(await from(limited, proxy, '/v1/auth/me', via(freshAddress())), 3);
    // Another client behind the same proxy has its own bucket.
    const other = { headers: { 'x-forwarded-for': freshAddress() } };
    assert.equal((await from(limited, proxy, '/v1/auth/me', other)).status, 401);
  });
});

describe('rate limit per user', () => {
  it('counts a signed-in user wherever they come from; another user is unaffected', async () => {
    const app = stack().createApp({ RATE_LIMIT_USER_PER_MINUTE: 3 });
    const alice = await createUser();
    const bob = await createUser();
    const me = (token: string) =>
      from(app, freshAddress(), '/v1/auth/me', { headers: { authorization: `Bearer ${token}` } });
    for (let i = 0; i < 3; i++) assert.equal((await me(alice.token)).status, 200);
    assertLimited(await me(alice.token), 3);
    assert.equal((await me(bob.token)).status, 200);
  });
});

describe('login throttling (per email and client, per client, per email)', function () {
  this.timeout(30_000);

  it('locks one email from one client after RATE_LIMIT_LOGIN_FAILURES failures, not the real user elsewhere', async () => {
    const app = stack().createApp({ RATE_LIMIT_LOGIN_FAILURES: 2 });
    const { user } = await createUser();
    const attacker = freshAddress();
    for (let i = 0; i < 2; i++)
      assert.equal((await login(app, attacker, user.email, 'wrong password')).status, 401);
    // Refused before the password is checked, even the right one.
    assertLimited(await login(app, attacker, user.email.toUpperCase(), TEST_PASSWORD), 2);
    // The real user, from their own machine, still gets in.
    assert.equal((await login(app, freshAddress(), user.email, TEST_PASSWORD)).status, 200);
  });

  it('throttles one client address spraying many accounts (6 × the per-email allowance)', async () => {
    const app = stack().createApp({ RATE_LIMIT_LOGIN_FAILURES: 1 });
    const sprayer = freshAddress();
    for (let i = 0; i < 6; i++) {
      assert.equal(
        (await login(app, sprayer, `spray-${randomUUID()}@example.test`, 'wrong password')).status,
        401,
      );
    }
    assertLimited(await login(app, sprayer, `spray-${randomUUID()}@example.test`, 'wrong password'), 6);
    assert.equal((await login(app, freshAddress(), `spray-${randomUUID()}@example.test`, 'x')).status, 401);
  });

  it('caps one email guessed from many addresses (20 × the allowance)', async () => {
    const app = stack().createApp({ RATE_LIMIT_LOGIN_FAILURES: 1 });
    const email = `target-${randomUUID()}@example.test`;
    for (let i = 0; i < 20; i++) assert.equal((await login(app, freshAddress(), email, 'guess')).status, 401);
    assertLimited(await login(app, freshAddress(), email, 'guess'), 20);
  });
});

describe('password-reset throttling per email', function () {
  this.timeout(30_000);

  it('5 requests an hour for one email from one client, then 429; the same answer for unknown addresses', async () => {
    const app = stack().createApp({ TEMPORAL_TASK_QUEUE: `reset-throttle-${randomUUID()}` });
    const address = freshAddress();
    const reset = (email: string) =>
      from(app, address, '/v1/auth/password-reset', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email }),
      });
    const email = `unknown-${randomUUID()}@example.test`;
    for (let i = 0; i < 5; i++) assert.equal((await reset(email)).status, 202);
    assertLimited(await reset(email), 5);
    assert.equal((await reset(`other-${randomUUID()}@example.test`)).status, 202);
  });
});

describe('the OpenAPI document states the 429', () => {
  it('on every /v1 operation but the webhooks, with its headers', async () => {
    const document = (await call(stack().createApp(), 'GET', '/openapi.json')).body;
    let seen = 0;
    for (const [path, item] of Object.entries(document.paths as Record<string, Record<string, any>>)) {
      for (const operation of Object.values(item)) {
        if (!operation?.responses) continue;
        const documented = '429' in operation.responses;
        assert.equal(documented, path.startsWith('/v1/') && !path.startsWith('/v1/webhooks/'), path);
        if (documented) seen++;
      }
    }
    assert.ok(seen > 20);
    assert.ok(document.paths['/v1/auth/refresh'].post.responses['429'].headers['Retry-After']);
  });
});

describe('rate limits across two API processes on one database', () => {
  it('the same login hammered through two replicas, and the anonymous limit, count once across both', async function () {
    this.timeout(120_000);
    // Behind a proxy (one hop), as replicas run: the client is an address no other test uses, so
    // the loopback requests of every other real API process of the run never meet this count.
    const limits = { RATE_LIMIT_ANON_PER_MINUTE: 6, RATE_LIMIT_LOGIN_FAILURES: 2, TRUST_PROXY_HOPS: 1 };
    const [a, b] = await Promise.all([startApiProcess(limits), startApiProcess(limits)]);
    try {
      const { user } = await createUser();
      const client = { 'x-forwarded-for': freshAddress() };
      const post = (base: string, password: string) =>
        fetch(`${base}/v1/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...client },
          body: JSON.stringify({ email: user.email, password }),
        });
      const me = (base: string) => fetch(`${base}/v1/auth/me`, { headers: client });
      // The failed logins count once across both: the third attempt is refused on either.
      assert.equal((await post(a.base, 'wrong password')).status, 401);
      assert.equal((await post(b.base, 'wrong password')).status, 401);
      assert.equal((await post(a.base, TEST_PASSWORD)).status, 429);
      assert.equal((await post(b.base, TEST_PASSWORD)).status, 429);
      // Those 4 requests were also 4 of the address's 6 anonymous requests a minute, on either
      // replica. Each replica counted alone would admit 6 more; shared, the limit answers 429 after
      // 2 more, or 3 when the other replica's last count is still on its way to Postgres (the
      // limiter writes behind requests far from the limit: api/middleware/write-behind-limiter.ts).
      let admitted = 4;
      let over: Response | undefined;
      for (let i = 0; i < 12 && !over; i++) {
        const response = await me(i % 2 ? a.base : b.base);
        if (response.status === 429) over = response;
        else admitted++;
      }
      assert.ok(over, 'the shared limit answered 429');
      assert.ok(admitted >= 6 && admitted <= 7, `${admitted} requests admitted for a limit of 6`);
      assert.equal(over.headers.get('ratelimit-limit'), '6');
      assert.ok(Number(over.headers.get('retry-after')) >= 1);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});
