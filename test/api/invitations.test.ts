import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { decodeJwt, SignJWT } from 'jose';
import { findInvitation } from '../../db/invitation-store';
import { execute, query } from '../../db/sql';
import { findUserByEmail, listUserMemberships } from '../../db/user-store';
import { signInvitationToken } from '../../lib/invitation-tokens';
import { signAccessToken } from '../../lib/tokens';
import {
  createMember,
  createOrganization,
  createUser,
  setOrganizationState,
  TEST_PASSWORD,
} from '../support/fixtures';
import { call } from '../support/http';
import { stack } from '../support/stack';

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const PASSWORD = 'a long enough password';

/**
 * The app on a task queue no worker polls: invitation workflows start and wait, which is all
 * these request-level tests need. Tokens are signed the way the invitation activity signs them.
 */
async function world() {
  const app = stack().createApp({ TEMPORAL_TASK_QUEUE: `invitations-api-${randomUUID()}` });
  const organization = await createOrganization();
  const owner = await createMember(organization.id, 'owner');
  const admin = await createMember(organization.id, 'admin');
  const member = await createMember(organization.id, 'member');
  const invitationsPath = `/v1/organizations/${organization.id}/invitations`;
  const invite = (token: string, json: unknown) => call(app, 'POST', invitationsPath, { token, json });
  async function openInvitation(email = `invitee-${randomUUID()}@example.test`, role = 'member') {
    const created = await invite(admin.token, { email, role });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const row = await findInvitation(stack().sequelize, created.body.id);
    assert.ok(row);
    const token = await signInvitationToken(
      {
        invitationId: row.id,
        tokenId: row.token_id,
        organizationId: row.organization_id,
        email: row.email,
        expiresAt: row.expires_at,
      },
      stack().config.AUTH_JWT_SECRET,
    );
    return { row, token };
  }
  const accept = (json: unknown) => call(app, 'POST', '/v1/invitations/accept', { json });
  return { app, organization, owner, admin, member, invitationsPath, invite, openInvitation, accept };
}

describe('POST /v1/organizations/{orgId}/invitations', () => {
  it('answers 202 with the invitation, its workflow id and links', async () => {
    const w = await world();
    const email = `New.Person-${randomUUID()}@Example.test`;
    const response = await w.invite(w.admin.token, { email, role: 'admin' });
    assert.equal(response.status, 202);
    assert.equal(response.body.email, email.toLowerCase());
    assert.equal(response.body.role, 'admin');
    assert.equal(response.body.status, 'pending');
    assert.equal(response.body.workflowId, `invitation/${response.body.id}`);
    assert.equal(response.body.links.self, `${w.invitationsPath}/${response.body.id}`);
    assert.match(response.body.links.temporalUi, /invitation%2F/);
    assert.equal(response.body.tokenId, undefined);
    const description = await stack().temporal.workflow.getHandle(response.body.workflowId).describe();
    assert.equal(description.type, 'invitation');
    const shown = await call(w.app, 'GET', response.body.links.self, { token: w.admin.token });
    assert.equal(shown.status, 200);
    assert.equal(shown.body.id, response.body.id);
  });

  it('rejects an invalid email and an unknown role with 422 naming the field', async () => {
    const w = await world();
    const bad = await w.invite(w.admin.token, { email: 'not-an-email', role: 'superuser' });
    assert.equal(bad.status, 422);
    assert.deepEqual(bad.body.errors.map((e: { path: string }) => e.path).sort(), ['email', 'role']);
  });

  it('an admin cannot invite an owner (403); an owner can', async () => {
    const w = await world();
    const byAdmin = await w.invite(w.admin.token, { email: `o-${randomUUID()}@example.test`, role: 'owner' });
    assert.equal(byAdmin.status, 403);
    const byOwner = await w.invite(w.owner.token, { email: `o-${randomUUID()}@example.test`, role: 'owner' });
    assert.equal(byOwner.status, 202);
  });

  it('a member cannot invite (403)', async () => {
    const w = await world();
    const response = await w.invite(w.member.token, {
      email: `m-${randomUUID()}@example.test`,
      role: 'member',
    });
    assert.equal(response.status, 403);
  });

  it('409 while an invitation for that email is open, whatever its case; 409 for an existing member', async () => {
    const w = await world();
    const email = `dup-${randomUUID()}@example.test`;
    assert.equal((await w.invite(w.admin.token, { email, role: 'member' })).status, 202);
    const again = await w.invite(w.admin.token, { email: email.toUpperCase(), role: 'admin' });
    assert.equal(again.status, 409);
    const existing = await w.invite(w.admin.token, { email: w.member.user.email, role: 'member' });
    assert.equal(existing.status, 409);
  });

  it('lists invitations newest first in keyset pages, filtered by status', async () => {
    const w = await world();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await w.openInvitation()).row.id);
    const first = await call(w.app, 'GET', `${w.invitationsPath}?limit=2`, { token: w.admin.token });
    assert.equal(first.status, 200);
    assert.equal(first.body.items.length, 2);
    const second = await call(w.app, 'GET', `${w.invitationsPath}?limit=2&cursor=${first.body.nextCursor}`, {
      token: w.admin.token,
    });
    assert.equal(second.body.nextCursor, null);
    assert.deepEqual(
      [...first.body.items, ...second.body.items].map((i: { id: string }) => i.id),
      [...ids].reverse(),
    );
    const revoked = await call(w.app, 'GET', `${w.invitationsPath}?status=revoked`, { token: w.admin.token });
    assert.deepEqual(revoked.body.items, []);
    const forged = await call(w.app, 'GET', `${w.invitationsPath}?cursor=${base64url(['x', 'y'])}`, {
      token: w.admin.token,
    });
    assert.equal(forged.status, 400, 'a malformed cursor is 400 (docs/spec.md §12)');
  });
});

describe('POST /v1/invitations/accept', () => {
  it('adds the membership to an existing account when its password is given; never replaces it', async () => {
    const w = await world();
    const { user } = await createUser();
    const { token } = await w.openInvitation(user.email, 'admin');
    const wrong = await w.accept({ token, name: 'Someone', password: 'a different password' });
    assert.equal(wrong.status, 401);
    const right = await w.accept({ token, name: 'Someone', password: TEST_PASSWORD });
    assert.equal(right.status, 201, JSON.stringify(right.body));
    assert.equal(right.body.user.id, user.id);
    assert.equal(right.body.user.name, 'Test User');
    // docs/spec.md §11: accepting also opens a session whose refresh token works.
    const refreshed = await call(w.app, 'POST', '/v1/auth/refresh', {
      json: { refreshToken: right.body.refreshToken },
    });
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
    assert.equal(decodeJwt(refreshed.body.accessToken).sid, decodeJwt(right.body.accessToken).sid);
    const memberships = await listUserMemberships(stack().sequelize, user.id);
    const membership = memberships.find((m) => m.organization_id === w.organization.id);
    assert.equal(membership?.role, 'admin');
    const accounts = await query(stack().sequelize, 'SELECT id FROM users WHERE email = $email', {
      email: user.email,
    });
    assert.equal(accounts.length, 1);
  });

  it('rejects a weak password with 422 on the password field', async () => {
    const w = await world();
    const { token } = await w.openInvitation();
    const response = await w.accept({ token, name: 'Ivy', password: 'short-11chr' });
    assert.equal(response.status, 422);
    assert.deepEqual(
      response.body.errors.map((e: { path: string }) => e.path),
      ['password'],
    );
  });

  it('refuses a new account whose password is its email or a common one (422), and the link still works', async () => {
    const w = await world();
    const { row, token } = await w.openInvitation();
    for (const password of [row.email, row.email.toUpperCase(), 'qwerty123456']) {
      const response = await w.accept({ token, name: 'Ivy', password });
      assert.equal(response.status, 422, password);
      assert.equal(response.body.errors[0].path, 'password');
    }
    const accepted = await w.accept({ token, name: 'Ivy', password: PASSWORD });
    assert.equal(accepted.status, 201);
  });

  it('400 for a tampered payload, another key, alg none, an access token and garbage', async () => {
    const w = await world();
    const { row, token } = await w.openInvitation();
    const [header, , signature] = token.split('.');
    const claims = decodeJwt(token);
    const tampered = `${header}.${base64url({ ...claims, email: 'attacker@example.test' })}.${signature}`;
    const otherKey = await signInvitationToken(
      {
        invitationId: row.id,
        tokenId: row.token_id,
        organizationId: row.organization_id,
        email: row.email,
        expiresAt: row.expires_at,
      },
      'another-secret-of-enough-length!!',
    );
    const algNone = `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(claims)}.`;
    const accessToken = await signAccessToken(
      { userId: w.member.user.id, sessionId: randomUUID() },
      { secret: stack().config.AUTH_JWT_SECRET, expiresInSeconds: 600 },
    );
    // Right key, right audience, wrong jti: a token for an earlier version of the row.
    const staleJti = await signInvitationToken(
      {
        invitationId: row.id,
        tokenId: randomUUID(),
        organizationId: row.organization_id,
        email: row.email,
        expiresAt: row.expires_at,
      },
      stack().config.AUTH_JWT_SECRET,
    );
    const cases = { tampered, otherKey, algNone, accessToken, staleJti, garbage: 'not.a.token' };
    for (const [name, candidate] of Object.entries(cases)) {
      const response = await w.accept({ token: candidate, name: 'Mallory', password: PASSWORD });
      assert.equal(response.status, 400, name);
      assert.equal(response.headers.get('content-type'), 'application/problem+json', name);
    }
    assert.equal((await findInvitation(stack().sequelize, row.id))?.status, 'pending');
    // The genuine token still works afterwards.
    assert.equal((await w.accept({ token, name: 'Ivy', password: PASSWORD })).status, 201);
  });

  it('an invitation token is not an access token', async () => {
    const w = await world();
    const { token } = await w.openInvitation();
    const me = await call(w.app, 'GET', '/v1/auth/me', { token });
    assert.equal(me.status, 401);
  });

  it('an access-style token carrying typ invitation but the access audience is rejected', async () => {
    const w = await world();
    const { row } = await w.openInvitation();
    const crossed = await new SignJWT({ typ: 'invitation', org: row.organization_id, email: row.email })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(row.id)
      .setJti(row.token_id)
      .setIssuer('ale-backend')
      .setAudience('ale-api')
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode(stack().config.AUTH_JWT_SECRET));
    assert.equal((await w.accept({ token: crossed, name: 'M', password: PASSWORD })).status, 400);
  });

  it('410 for a token whose exp has passed', async () => {
    const w = await world();
    const { row } = await w.openInvitation();
    const expired = await signInvitationToken(
      {
        invitationId: row.id,
        tokenId: row.token_id,
        organizationId: row.organization_id,
        email: row.email,
        expiresAt: new Date(Date.now() - 60_000),
      },
      stack().config.AUTH_JWT_SECRET,
    );
    assert.equal((await w.accept({ token: expired, name: 'Ivy', password: PASSWORD })).status, 410);
  });

  it('410 when the row expired even if the token exp has not (the row is the truth)', async () => {
    const w = await world();
    const { row, token } = await w.openInvitation();
    await execute(stack().sequelize, 'UPDATE invitations SET expires_at = $expiresAt WHERE id = $id', {
      id: row.id,
      expiresAt: new Date(Date.now() - 1000),
    });
    assert.equal((await w.accept({ token, name: 'Ivy', password: PASSWORD })).status, 410);
  });
});

describe('POST /v1/invitations/accept into an organization being deleted or deleted (docs/spec.md §12)', () => {
  for (const status of ['deprovisioning', 'deleted'] as const) {
    it(`409 problem+json while the organization is ${status}; no account, membership or acceptance is written`, async () => {
      const w = await world();
      const { row, token } = await w.openInvitation();
      const existing = await createUser();
      const forExisting = await w.openInvitation(existing.user.email, 'admin');
      await setOrganizationState(w.organization.id, { status });

      const response = await w.accept({ token, name: 'Ivy', password: PASSWORD });
      assert.equal(response.status, 409, JSON.stringify(response.body));
      assert.equal(response.headers.get('content-type'), 'application/problem+json');
      assert.match(response.body.detail, /being deleted or deleted/);
      assert.equal(await findUserByEmail(stack().sequelize, row.email), undefined, 'no account');
      assert.equal((await findInvitation(stack().sequelize, row.id))?.status, row.status, 'still open');

      // An address that has an account: its right password still does not add the membership.
      const joining = await w.accept({ token: forExisting.token, name: 'Ex', password: TEST_PASSWORD });
      assert.equal(joining.status, 409, JSON.stringify(joining.body));
      assert.deepEqual(await listUserMemberships(stack().sequelize, existing.user.id), []);
      assert.equal(
        (await findInvitation(stack().sequelize, forExisting.row.id))?.status,
        forExisting.row.status,
      );
    });
  }

  it('a used or expired link is still 410, whatever the organization', async () => {
    const w = await world();
    const { token } = await w.openInvitation();
    assert.equal((await w.accept({ token, name: 'Ivy', password: PASSWORD })).status, 201);
    await setOrganizationState(w.organization.id, { status: 'deleted' });
    assert.equal((await w.accept({ token, name: 'Ivy', password: PASSWORD })).status, 410);
  });
});

describe('resend and revoke', () => {
  it('409 for resend or revoke of an invitation that is no longer open; 404 for an unknown id', async () => {
    const w = await world();
    const { row, token } = await w.openInvitation();
    assert.equal((await w.accept({ token, name: 'Ivy', password: PASSWORD })).status, 201);
    const resend = await call(w.app, 'POST', `${w.invitationsPath}/${row.id}/resend`, {
      token: w.admin.token,
    });
    assert.equal(resend.status, 409);
    const revoke = await call(w.app, 'DELETE', `${w.invitationsPath}/${row.id}`, { token: w.admin.token });
    assert.equal(revoke.status, 409);
    const unknown = await call(w.app, 'DELETE', `${w.invitationsPath}/${randomUUID()}`, {
      token: w.admin.token,
    });
    assert.equal(unknown.status, 404);
  });
});

describe('GET /v1/organizations/{orgId}/members', () => {
  it('lists members oldest first with their role, in keyset pages', async () => {
    const w = await world();
    const first = await call(w.app, 'GET', `/v1/organizations/${w.organization.id}/members?limit=2`, {
      token: w.member.token,
    });
    assert.equal(first.status, 200);
    const second = await call(
      w.app,
      'GET',
      `/v1/organizations/${w.organization.id}/members?limit=2&cursor=${first.body.nextCursor}`,
      { token: w.member.token },
    );
    assert.deepEqual(
      [...first.body.items, ...second.body.items].map((m: { userId: string; role: string }) => [
        m.userId,
        m.role,
      ]),
      [
        [w.owner.user.id, 'owner'],
        [w.admin.user.id, 'admin'],
        [w.member.user.id, 'member'],
      ],
    );
    assert.equal(second.body.nextCursor, null);
  });
});
