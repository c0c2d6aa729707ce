import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { decodeJwt } from 'jose';
import { findInvitation } from '../../db/invitation-store';
import { insertSsoCode } from '../../db/sso-code-store';
import { findUserByEmail, listUserMemberships } from '../../db/user-store';
import type { Config } from '../../lib/config';
import { opaqueTokenHash } from '../../lib/tokens';
import { createMember, createOrganization, createUser, setOrganizationState } from '../support/fixtures';
import { call } from '../support/http';
import { OidcProviderStub } from '../support/oidc-provider-stub';
import { stack } from '../support/stack';

/**
 * docs/spec.md §11: single sign-on, end to end against a real OpenID provider (oidc-provider on
 * loopback) with the application's real openid-client code; the test plays the browser.
 */

const API_PUBLIC_URL = 'http://127.0.0.1:39999';
const VUE_APP_URI = 'https://app.ale.test';
type App = ReturnType<ReturnType<typeof stack>['createApp']>;

let idp: OidcProviderStub;
let app: App;
let config: Partial<Config>;

before(async () => {
  idp = await OidcProviderStub.start([
    `${API_PUBLIC_URL}/v1/auth/sso/google/callback`,
    `${API_PUBLIC_URL}/v1/auth/sso/microsoft/callback`,
  ]);
  config = {
    API_PUBLIC_URL,
    VUE_APP_URI,
    TEMPORAL_TASK_QUEUE: `sso-${randomUUID()}`,
    OAUTH_GOOGLE_CLIENT_ID: idp.clientId,
    OAUTH_GOOGLE_CLIENT_SECRET: idp.clientSecret,
    OAUTH_GOOGLE_ISSUER: idp.issuer,
    OAUTH_MICROSOFT_CLIENT_ID: idp.clientId,
    OAUTH_MICROSOFT_CLIENT_SECRET: idp.clientSecret,
    OAUTH_MICROSOFT_ISSUER: idp.issuer,
  };
  app = stack().createApp(config);
});
after(() => idp?.close());

interface BrowseOptions {
  provider?: string;
  /** Changes the authorization request before it reaches the provider. */
  authorize?: (url: URL) => void;
  /** Changes the provider's redirect back before it reaches the API. */
  callback?: (url: URL) => void;
  /** Leaves the flow cookie out of the callback. */
  dropFlowCookie?: boolean;
}

/** A browser: API start → provider (its own cookies) → API callback → the web app's URL. */
async function browse(options: BrowseOptions = {}) {
  const provider = options.provider ?? 'google';
  const started = await app.request(`/v1/auth/sso/${provider}/start`);
  assert.equal(started.status, 302);
  const flowCookie = started.headers
    .getSetCookie()
    .find((cookie) => cookie.startsWith('ale_sso_flow='))
    ?.split(';')[0];
  assert.ok(flowCookie, 'the start sets the flow cookie');
  let url = new URL(started.headers.get('location') ?? '');
  assert.equal(url.origin, idp.issuer);
  assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
  options.authorize?.(url);
  const jar = new Map<string, string>();
  for (let hops = 0; url.origin === idp.issuer; hops++) {
    assert.ok(hops < 10, 'too many redirects at the provider');
    const response = await fetch(url, {
      redirect: 'manual',
      headers: { cookie: [...jar].map(([name, value]) => `${name}=${value}`).join('; ') },
    });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const at = (pair ?? '').indexOf('=');
      jar.set((pair ?? '').slice(0, at), (pair ?? '').slice(at + 1));
    }
    const location = response.headers.get('location');
    assert.ok(location, `the provider redirects (${response.status}: ${await response.text()})`);
    url = new URL(location, url);
  }
  assert.equal(url.origin, API_PUBLIC_URL);
  options.callback?.(url);
  const callbackPath = `${url.pathname}${url.search}`;
  const back = async (cookie?: string) => {
    const response = await app.request(callbackPath, { headers: cookie ? { cookie } : {} });
    assert.equal(response.status, 302);
    return new URL(response.headers.get('location') ?? '');
  };
  const landed = await back(options.dropFlowCookie ? undefined : flowCookie);
  assert.equal(`${landed.origin}${landed.pathname}`, `${VUE_APP_URI}/sso/callback`);
  return { landed, replay: () => back(flowCookie) };
}

const exchange = (code: string | null) => call(app, 'POST', '/v1/auth/sso/exchange', { json: { code } });

describe('single sign-on (OpenID Connect against a real provider on loopback)', function () {
  this.timeout(30_000);

  it('lists the configured providers; none when none is configured', async () => {
    const listed = await call(app, 'GET', '/v1/auth/sso');
    assert.equal(listed.status, 200);
    assert.deepEqual(
      listed.body.items.map((p: { provider: string; startUrl: string }) => [p.provider, p.startUrl]),
      [
        ['google', '/v1/auth/sso/google/start'],
        ['microsoft', '/v1/auth/sso/microsoft/start'],
      ],
    );
    assert.deepEqual((await call(stack().createApp(), 'GET', '/v1/auth/sso')).body, { items: [] });
  });

  it('signs in an existing user with a verified email: a one-time 60 s code becomes a token pair', async () => {
    const { user } = await createUser();
    idp.nextAccount = { sub: randomUUID(), email: user.email.toUpperCase(), email_verified: true, name: 'X' };
    const { landed } = await browse();
    const code = landed.searchParams.get('code');
    assert.ok(code, landed.toString());
    assert.equal(landed.searchParams.get('error'), null);
    const pair = await exchange(code);
    assert.equal(pair.status, 200, JSON.stringify(pair.body));
    assert.equal(decodeJwt(pair.body.accessToken).sub, user.id);
    assert.ok(pair.body.refreshToken);
    assert.equal((await call(app, 'GET', '/v1/auth/me', { token: pair.body.accessToken })).status, 200);
    // The code works once.
    const again = await exchange(code);
    assert.equal(again.status, 401);
  });

  it('works through the microsoft provider too', async () => {
    const { user } = await createUser();
    idp.nextAccount = { sub: randomUUID(), email: user.email, email_verified: true };
    const { landed } = await browse({ provider: 'microsoft' });
    assert.equal((await exchange(landed.searchParams.get('code'))).status, 200);
  });

  it('accepts the open invitation of an address with no account, creating it', async () => {
    const organization = await createOrganization();
    const admin = await createMember(organization.id, 'admin');
    const email = `sso-invitee-${randomUUID()}@example.test`;
    const invited = await call(app, 'POST', `/v1/organizations/${organization.id}/invitations`, {
      token: admin.token,
      json: { email, role: 'member' },
    });
    assert.equal(invited.status, 202, JSON.stringify(invited.body));
    idp.nextAccount = { sub: randomUUID(), email, email_verified: true, name: 'Sam Sso' };
    const { landed } = await browse();
    const pair = await exchange(landed.searchParams.get('code'));
    assert.equal(pair.status, 200);
    const user = await findUserByEmail(stack().sequelize, email);
    assert.equal(user?.name, 'Sam Sso');
    assert.equal(decodeJwt(pair.body.accessToken).sub, user?.id);
    const memberships = await listUserMemberships(stack().sequelize, user?.id as string);
    assert.deepEqual(
      memberships.map((m) => [m.organization_id, m.role]),
      [[organization.id, 'member']],
    );
    assert.equal((await findInvitation(stack().sequelize, invited.body.id))?.status, 'accepted');
    // The account has no password: a password login fails like any wrong one.
    const login = await call(app, 'POST', '/v1/auth/login', { json: { email, password: 'none none none' } });
    assert.equal(login.status, 401);
  });

  it('does not accept the invitation of an organization being deleted (docs/spec.md §12): no account, the invitation stays open', async () => {
    const organization = await createOrganization();
    const admin = await createMember(organization.id, 'admin');
    const email = `sso-late-${randomUUID()}@example.test`;
    const invited = await call(app, 'POST', `/v1/organizations/${organization.id}/invitations`, {
      token: admin.token,
      json: { email, role: 'member' },
    });
    assert.equal(invited.status, 202, JSON.stringify(invited.body));
    const before = await findInvitation(stack().sequelize, invited.body.id);
    await setOrganizationState(organization.id, { status: 'deprovisioning' });
    idp.nextAccount = { sub: randomUUID(), email, email_verified: true, name: 'Late Sso' };
    const { landed } = await browse();
    assert.equal(landed.searchParams.get('error'), 'no_account');
    assert.equal(await findUserByEmail(stack().sequelize, email), undefined);
    assert.equal((await findInvitation(stack().sequelize, invited.body.id))?.status, before?.status);
  });

  it('refuses an unverified email (error=email_not_verified)', async () => {
    const { user } = await createUser();
    idp.nextAccount = { sub: randomUUID(), email: user.email, email_verified: false };
    const { landed } = await browse();
    assert.equal(landed.searchParams.get('error'), 'email_not_verified');
    assert.equal(landed.searchParams.get('code'), null);
  });

  it('refuses an unknown address without an invitation (error=no_account) and creates nothing', async () => {
    const email = `stranger-${randomUUID()}@example.test`;
    idp.nextAccount = { sub: randomUUID(), email, email_verified: true };
    const { landed } = await browse();
    assert.equal(landed.searchParams.get('error'), 'no_account');
    assert.equal(await findUserByEmail(stack().sequelize, email), undefined);
  });

  it('refuses a forged or missing state, a missing flow cookie, and a wrong or missing nonce', async () => {
    const { user } = await createUser();
    idp.nextAccount = { sub: randomUUID(), email: user.email, email_verified: true };
    const forged = await browse({ callback: (url) => url.searchParams.set('state', 'forged-state') });
    assert.equal(forged.landed.searchParams.get('error'), 'invalid_state');
    const missing = await browse({ callback: (url) => url.searchParams.delete('state') });
    assert.equal(missing.landed.searchParams.get('error'), 'invalid_state');
    const noCookie = await browse({ dropFlowCookie: true });
    assert.equal(noCookie.landed.searchParams.get('error'), 'invalid_state');
    // The provider signs the nonce it was sent into the ID token; the client expects the cookie's.
    const nonce = await browse({
      authorize: (url) => url.searchParams.set('nonce', 'not-the-cookies-nonce'),
    });
    assert.equal(nonce.landed.searchParams.get('error'), 'invalid_response');
    // An ID token without the nonce (the request reached the provider without one) fails too.
    const noNonce = await browse({ authorize: (url) => url.searchParams.delete('nonce') });
    assert.equal(noNonce.landed.searchParams.get('error'), 'invalid_response');
  });

  it('refuses a replayed callback: the provider will not redeem its code twice', async () => {
    const { user } = await createUser();
    idp.nextAccount = { sub: randomUUID(), email: user.email, email_verified: true };
    const { landed, replay } = await browse();
    assert.ok(landed.searchParams.get('code'));
    const replayed = await replay();
    assert.equal(replayed.searchParams.get('error'), 'invalid_response');
    assert.equal(replayed.searchParams.get('code'), null);
  });

  it("passes on the provider's own error (the person declined)", async () => {
    const response = await app.request('/v1/auth/sso/google/callback?error=access_denied&state=x');
    assert.equal(response.status, 302);
    assert.equal(new URL(response.headers.get('location') ?? '').searchParams.get('error'), 'access_denied');
  });

  it('404 for an unknown or unconfigured provider', async () => {
    for (const path of ['/v1/auth/sso/github/start', '/v1/auth/sso/github/callback?code=x&state=y']) {
      const response = await call(app, 'GET', path);
      assert.equal(response.status, 404, path);
      assert.equal(response.headers.get('content-type'), 'application/problem+json');
    }
    assert.equal((await call(stack().createApp(), 'GET', '/v1/auth/sso/google/start')).status, 404);
  });

  it('refuses a garbage, empty or expired exchange code', async () => {
    assert.equal((await exchange('garbage')).status, 401);
    assert.equal((await exchange('')).status, 422);
    const { user } = await createUser();
    const code = `expired-${randomUUID()}`;
    await insertSsoCode(stack().sequelize, {
      codeHash: opaqueTokenHash(code),
      userId: user.id,
      provider: 'google',
      expiresAt: new Date(Date.now() - 1000),
    });
    assert.equal((await exchange(code)).status, 401);
  });
});
