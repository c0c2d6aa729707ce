import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeJwt } from 'jose';
import { isSessionOpen } from '../../db/session-store';
import { signAccessToken } from '../../lib/tokens';
import { startApiProcess } from '../support/api-process';
import { createMember, createOrganization, createUser, TEST_PASSWORD } from '../support/fixtures';
import { call } from '../support/http';
import { stack } from '../support/stack';

/** docs/spec.md §11: refresh tokens, sessions and logout. */

async function login(app = stack().createApp(), email?: string) {
  const user = email ? undefined : (await createUser()).user;
  const response = await call(app, 'POST', '/v1/auth/login', {
    json: { email: email ?? user?.email, password: TEST_PASSWORD },
  });
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return { app, user, ...response.body } as {
    app: ReturnType<ReturnType<typeof stack>['createApp']>;
    user: { id: string; email: string };
    accessToken: string;
    refreshToken: string;
  };
}

const refresh = (app: ReturnType<ReturnType<typeof stack>['createApp']>, refreshToken: unknown) =>
  call(app, 'POST', '/v1/auth/refresh', { json: { refreshToken } });

describe('sessions: login and refresh', () => {
  it('login returns an opaque refresh token and an access token carrying the session id', async () => {
    const session = await login();
    assert.match(session.refreshToken, /^[A-Za-z0-9_-]{43}$/);
    const claims = decodeJwt(session.accessToken);
    assert.equal(claims.sub, session.user.id);
    assert.equal(typeof claims.sid, 'string');
    assert.equal(await isSessionOpen(stack().sequelize, claims.sid as string), true);
    // Only the hash is stored: the token itself appears nowhere in the table.
    const [row] = await stack().sequelize.query(
      `SELECT count(*)::int AS n FROM refresh_tokens WHERE token_hash = sha256(convert_to('${session.refreshToken}', 'UTF8'))`,
    );
    assert.equal((row as { n: number }[])[0]?.n, 1);
  });

  it('a refresh gives a new pair of the same session, and each refresh token works once', async () => {
    const session = await login();
    const first = await refresh(session.app, session.refreshToken);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.notEqual(first.body.refreshToken, session.refreshToken);
    assert.equal(decodeJwt(first.body.accessToken).sid, decodeJwt(session.accessToken).sid);
    assert.equal(decodeJwt(first.body.accessToken).sub, session.user.id);
    const me = await call(session.app, 'GET', '/v1/auth/me', { token: first.body.accessToken });
    assert.equal(me.status, 200);
    const second = await refresh(session.app, first.body.refreshToken);
    assert.equal(second.status, 200);
  });

  it('a refresh token presented twice answers 401 and ends the whole session', async () => {
    const session = await login();
    const rotated = await refresh(session.app, session.refreshToken);
    assert.equal(rotated.status, 200);
    const reused = await refresh(session.app, session.refreshToken);
    assert.equal(reused.status, 401);
    assert.equal(reused.headers.get('content-type'), 'application/problem+json');
    // Every token of that session stops: the rotated pair too, the access tokens at once.
    assert.equal((await refresh(session.app, rotated.body.refreshToken)).status, 401);
    for (const token of [session.accessToken, rotated.body.accessToken]) {
      assert.equal((await call(session.app, 'GET', '/v1/auth/me', { token })).status, 401);
    }
    // Another session of the same user is untouched.
    const other = await login(session.app, session.user.email);
    assert.equal((await call(session.app, 'GET', '/v1/auth/me', { token: other.accessToken })).status, 200);
  });

  it('an expired refresh token answers 401', async function () {
    this.timeout(10_000);
    const app = stack().createApp({ REFRESH_TOKEN_EXPIRE: 1 });
    const session = await login(app);
    await sleep(1_200);
    const response = await refresh(app, session.refreshToken);
    assert.equal(response.status, 401);
  });

  it('garbage and empty refresh tokens: 401 and 422, never 500', async () => {
    const app = stack().createApp();
    const garbage = await refresh(app, 'not-a-refresh-token');
    assert.equal(garbage.status, 401);
    const empty = await refresh(app, '');
    assert.equal(empty.status, 422);
    assert.equal(empty.body.errors[0].path, 'refreshToken');
    const wrongType = await refresh(app, 42);
    assert.equal(wrongType.status, 422);
  });

  it("refuses a refresh token presented with another user's access token; its owner's next refresh ends the session", async () => {
    const alice = await login();
    const bob = await login(alice.app);
    const response = await call(alice.app, 'POST', '/v1/auth/refresh', {
      token: bob.accessToken,
      json: { refreshToken: alice.refreshToken },
    });
    assert.equal(response.status, 401);
    assert.equal(response.body.accessToken, undefined);
    assert.equal((await refresh(alice.app, alice.refreshToken)).status, 401, 'spent: a reuse now');
    assert.equal((await call(alice.app, 'GET', '/v1/auth/me', { token: alice.accessToken })).status, 401);
    assert.equal((await call(alice.app, 'GET', '/v1/auth/me', { token: bob.accessToken })).status, 200);
  });

  it("refreshes with the own user's access token sent along, expired or not", async () => {
    const alice = await login();
    const expired = await signAccessToken(
      { userId: alice.user.id, sessionId: decodeJwt(alice.accessToken).sid as string },
      { secret: stack().config.AUTH_JWT_SECRET, expiresInSeconds: -60 },
    );
    assert.ok((decodeJwt(expired).exp as number) < Date.now() / 1000);
    let refreshToken = alice.refreshToken;
    for (const token of [alice.accessToken, expired]) {
      const response = await call(alice.app, 'POST', '/v1/auth/refresh', { token, json: { refreshToken } });
      assert.equal(response.status, 200);
      assert.equal(decodeJwt(response.body.accessToken).sub, alice.user.id);
      refreshToken = response.body.refreshToken;
    }
  });
});

describe('sessions: logout', () => {
  it('ends the session at once: its access token (also on org routes) and refresh token stop', async () => {
    const organization = await createOrganization();
    const member = await createMember(organization.id, 'member');
    const app = stack().createApp();
    const session = await login(app, member.user.email);
    const employees = `/v1/organizations/${organization.id}/employees`;
    assert.equal((await call(app, 'GET', employees, { token: session.accessToken })).status, 200);
    const out = await call(app, 'POST', '/v1/auth/logout', { token: session.accessToken });
    assert.equal(out.status, 204);
    assert.equal((await call(app, 'GET', '/v1/auth/me', { token: session.accessToken })).status, 401);
    const org = await call(app, 'GET', employees, { token: session.accessToken });
    assert.equal(org.status, 401);
    assert.match(org.body.detail, /session/);
    assert.equal((await refresh(app, session.refreshToken)).status, 401);
    // The member's other session (the fixture's token) still works.
    assert.equal((await call(app, 'GET', employees, { token: member.token })).status, 200);
  });

  it('a second logout with the ended session answers 401', async () => {
    const session = await login();
    assert.equal(
      (await call(session.app, 'POST', '/v1/auth/logout', { token: session.accessToken })).status,
      204,
    );
    const again = await call(session.app, 'POST', '/v1/auth/logout', { token: session.accessToken });
    assert.equal(again.status, 401);
    assert.equal(again.headers.get('www-authenticate'), 'Bearer');
  });

  it('without a token answers 401', async () => {
    const response = await call(stack().createApp(), 'POST', '/v1/auth/logout');
    assert.equal(response.status, 401);
  });
});

describe('sessions across two API processes on one database', () => {
  it('a logout on one replica is refused on the other at the very next request', async function () {
    this.timeout(120_000);
    const [a, b] = await Promise.all([startApiProcess(), startApiProcess()]);
    try {
      const { user } = await createUser();
      const post = (base: string, path: string, json?: unknown, token?: string) =>
        fetch(`${base}${path}`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
          body: json === undefined ? undefined : JSON.stringify(json),
        });
      const me = (base: string, token: string) =>
        fetch(`${base}/v1/auth/me`, { headers: { authorization: `Bearer ${token}` } });
      const loggedIn = await post(a.base, '/v1/auth/login', { email: user.email, password: TEST_PASSWORD });
      assert.equal(loggedIn.status, 200);
      const { accessToken } = (await loggedIn.json()) as { accessToken: string };
      // B has verified (and cached) the token before the logout.
      assert.equal((await me(b.base, accessToken)).status, 200);
      assert.equal((await me(b.base, accessToken)).status, 200);
      assert.equal((await post(a.base, '/v1/auth/logout', undefined, accessToken)).status, 204);
      assert.equal((await me(b.base, accessToken)).status, 401);
      assert.equal((await me(a.base, accessToken)).status, 401);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});

describe('sessions: housekeeping', () => {
  it('a login removes refresh tokens that expired, once their access tokens did too; live ones stay', async () => {
    const app = stack().createApp({ REFRESH_TOKEN_EXPIRE: 1, ACCESS_TOKEN_EXPIRE: 1 });
    const short = await login(app);
    const live = await login();
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    await login(app);
    const count = async (token: string) =>
      (
        await stack().sequelize.query(
          `SELECT count(*)::int AS n FROM refresh_tokens WHERE token_hash = sha256(convert_to('${token}', 'UTF8'))`,
        )
      )[0] as { n: number }[];
    assert.equal((await count(short.refreshToken))[0]?.n, 0);
    assert.equal((await count(live.refreshToken))[0]?.n, 1);
  });

  it('the session whose refresh tokens all expired goes with them once its access tokens did; a live token keeps one', async () => {
    const short = stack().createApp({ REFRESH_TOKEN_EXPIRE: 1, ACCESS_TOKEN_EXPIRE: 1 });
    const ended = await login(short);
    const mixed = await login();
    const sessionOf = (accessToken: string) => decodeJwt(accessToken).sid as string;
    // An expired token of a session that also holds a live one (an earlier refresh of it).
    await stack().sequelize.query(
      `INSERT INTO refresh_tokens (token_hash, session_id, expires_at, created_at)
       VALUES (sha256(gen_random_uuid()::text::bytea), $1, now() - interval '1 minute', now() - interval '2 days')`,
      { bind: [sessionOf(mixed.accessToken)] },
    );
    await sleep(1_200);
    const exists = async (accessToken: string) =>
      (
        (await stack().sequelize.query('SELECT count(*)::int AS n FROM sessions WHERE id = $1', {
          bind: [sessionOf(accessToken)],
        })) as [{ n: number }[], unknown]
      )[0][0]?.n === 1;
    // Where access tokens live an hour, one handed out a second ago may still be in use: kept.
    await login(stack().createApp({ ACCESS_TOKEN_EXPIRE: 3600 }));
    assert.equal(await exists(ended.accessToken), true, 'an access token of it may still be valid');
    // Where they live a second, it is gone with its expired refresh token.
    await login(short);
    assert.equal(await exists(ended.accessToken), false, 'no live refresh or access token: gone');
    assert.equal(await exists(mixed.accessToken), true, 'a live refresh token keeps its session');
    assert.equal((await call(mixed.app, 'GET', '/v1/auth/me', { token: mixed.accessToken })).status, 200);
  });
});
