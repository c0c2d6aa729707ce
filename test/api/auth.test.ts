import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import { signAccessToken } from '../../lib/tokens';
import { createUser, TEST_PASSWORD } from '../support/fixtures';
import { call } from '../support/http';
import { stack } from '../support/stack';

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('POST /v1/auth/login', () => {
  it('returns a bearer token that opens /v1/auth/me', async () => {
    const app = stack().createApp();
    const { user } = await createUser({ platformAdmin: true });
    const login = await call(app, 'POST', '/v1/auth/login', {
      json: { email: user.email.toUpperCase(), password: TEST_PASSWORD },
    });
    assert.equal(login.status, 200);
    assert.equal(login.body.tokenType, 'Bearer');
    assert.equal(login.body.expiresIn, stack().config.ACCESS_TOKEN_EXPIRE);
    const me = await call(app, 'GET', '/v1/auth/me', { token: login.body.accessToken });
    assert.equal(me.status, 200);
    assert.equal(me.body.id, user.id);
    assert.equal(me.body.platformAdmin, true);
    assert.deepEqual(me.body.memberships, []);
  });

  it('answers a wrong password and an unknown email identically', async () => {
    const app = stack().createApp();
    const { user } = await createUser();
    const wrong = await call(app, 'POST', '/v1/auth/login', {
      json: { email: user.email, password: 'not-the-password' },
    });
    const unknown = await call(app, 'POST', '/v1/auth/login', {
      json: { email: 'nobody@example.test', password: 'not-the-password' },
    });
    assert.equal(wrong.status, 401);
    assert.equal(unknown.status, 401);
    assert.equal(wrong.headers.get('content-type'), 'application/problem+json');
    assert.deepEqual(wrong.body, unknown.body);
  });

  it('names the invalid field with 422', async () => {
    const response = await call(stack().createApp(), 'POST', '/v1/auth/login', {
      json: { email: 'not-an-email' },
    });
    assert.equal(response.status, 422);
    const paths = response.body.errors.map((e: { path: string }) => e.path).sort();
    assert.deepEqual(paths, ['email', 'password']);
  });
});

describe('JWT middleware', () => {
  const secret = () => stack().config.AUTH_JWT_SECRET;
  const key = () => new TextEncoder().encode(secret());

  async function meWith(token: string) {
    return call(stack().createApp(), 'GET', '/v1/auth/me', { token });
  }

  it('accepts a token it signed', async () => {
    const { token } = await createUser();
    assert.equal((await meWith(token)).status, 200);
  });

  it('rejects a missing Authorization header', async () => {
    const response = await call(stack().createApp(), 'GET', '/v1/auth/me');
    assert.equal(response.status, 401);
    assert.equal(response.headers.get('www-authenticate'), 'Bearer');
  });

  it('rejects alg: none', async () => {
    const { user } = await createUser();
    const now = Math.floor(Date.now() / 1000);
    const unsigned = `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({
      sub: user.id,
      typ: 'access',
      iss: 'ale-backend',
      aud: 'ale-api',
      iat: now,
      exp: now + 600,
    })}.`;
    assert.equal((await meWith(unsigned)).status, 401);
  });

  it('rejects a token signed with another secret', async () => {
    const { user, sessionId } = await createUser();
    const forged = await signAccessToken(
      { userId: user.id, sessionId },
      { secret: 'another-secret-of-enough-length!!', expiresInSeconds: 600 },
    );
    assert.equal((await meWith(forged)).status, 401);
  });

  it('rejects an expired token and says so', async () => {
    const { user, sessionId } = await createUser();
    const now = Math.floor(Date.now() / 1000);
    const expired = await new SignJWT({ typ: 'access', sid: sessionId })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(user.id)
      .setIssuer('ale-backend')
      .setAudience('ale-api')
      .setIssuedAt(now - 120)
      .setExpirationTime(now - 60)
      .sign(key());
    const response = await meWith(expired);
    assert.equal(response.status, 401);
    assert.match(response.body.detail, /expired/);
  });

  it('rejects a token without exp', async () => {
    const { user } = await createUser();
    const noExp = await new SignJWT({ typ: 'access' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(user.id)
      .setIssuer('ale-backend')
      .setAudience('ale-api')
      .setIssuedAt()
      .sign(key());
    assert.equal((await meWith(noExp)).status, 401);
  });

  it('rejects HS512 even with the right secret (algorithm pinned)', async () => {
    const { user } = await createUser();
    const hs512 = await new SignJWT({ typ: 'access' })
      .setProtectedHeader({ alg: 'HS512' })
      .setSubject(user.id)
      .setIssuer('ale-backend')
      .setAudience('ale-api')
      .setExpirationTime('10m')
      .sign(key());
    assert.equal((await meWith(hs512)).status, 401);
  });

  it('rejects garbage', async () => {
    for (const garbage of ['garbage', 'a.b.c', '...', 'e30.e30.']) {
      assert.equal((await meWith(garbage)).status, 401, garbage);
    }
  });
});

/** A login to `app` for `email` as it arrives from the client at `address`. */
function loginFrom(app: ReturnType<ReturnType<typeof stack>['createApp']>, email: string) {
  return (password: string, address: string) =>
    app.request(
      '/v1/auth/login',
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password }),
      },
      { incoming: { socket: { remoteAddress: address, remotePort: 40000, remoteFamily: 'IPv4' } } },
    );
}

describe('login throttling per email and client together', () => {
  it("a stranger's failures for an email do not lock its owner out from another client", async function () {
    this.timeout(30_000);
    const app = stack().createApp({ RATE_LIMIT_LOGIN_FAILURES: 5 });
    const { user } = await createUser({ platformAdmin: true });
    const login = loginFrom(app, user.email);
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await login('wrong password', '203.0.113.9')).status);
    assert.deepEqual(statuses, [...Array(5).fill(401), ...Array(15).fill(429)]);
    // The stranger stays locked out, even with the right password…
    assert.equal((await login(TEST_PASSWORD, '203.0.113.9')).status, 429);
    // …while the owner logs in from their own machine.
    const owner = await login(TEST_PASSWORD, '198.51.100.20');
    assert.equal(owner.status, 200);
    assert.ok(((await owner.json()) as { accessToken?: string }).accessToken);
  });

  it('still caps one email guessed from many clients', async function () {
    this.timeout(30_000);
    // One failure allowed per email and client: the per-email cap is 20 failures from everywhere.
    const app = stack().createApp({ RATE_LIMIT_LOGIN_FAILURES: 1 });
    const { user } = await createUser();
    const login = loginFrom(app, user.email);
    for (let client = 0; client < 20; client++) {
      assert.equal((await login('wrong', `192.0.2.${client}`)).status, 401);
      assert.equal((await login('wrong', `192.0.2.${client}`)).status, 429);
    }
    assert.equal((await login(TEST_PASSWORD, '192.0.2.200')).status, 429);
  });
});
