import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { insertPasswordReset } from '../../db/password-reset-store';
import { queryOne } from '../../db/sql';
import { findUser, updatePasswordHash } from '../../db/user-store';
import type { Config } from '../../lib/config';
import { hashPassword } from '../../lib/passwords';
import { resetToken } from '../../lib/reset-tokens';
import { RESET_REQUEST_FLOOR_MS } from '../../services/passwords';
import { createUser, TEST_PASSWORD } from '../support/fixtures';
import { call } from '../support/http';
import { type RecordedMail, SendGridStub } from '../support/sendgrid-stub';
import { stack } from '../support/stack';

/** docs/spec.md §11: password reset (by email, through the real worker) and password change. */

const NEW_PASSWORD = 'a brand new long password';
const VUE_APP_URI = 'https://app.ale.test';

type App = ReturnType<ReturnType<typeof stack>['createApp']>;

async function loginAs(app: App, email: string, password = TEST_PASSWORD) {
  return call(app, 'POST', '/v1/auth/login', { json: { email, password } });
}

function tokenFrom(mail: RecordedMail | undefined): string {
  const match = mail?.text?.match(/\/reset-password\?token=(\S+)/);
  assert.ok(match?.[1], 'the email carries a reset link');
  return decodeURIComponent(match[1]);
}

describe('password reset (real worker, dev server, Postgres; SendGrid stub)', function () {
  this.timeout(90_000);
  let sendgrid: SendGridStub;
  let app: App;
  let config: Partial<Config>;
  beforeEach(async () => {
    sendgrid = await SendGridStub.start();
    config = { ...sendgrid.config(), TEMPORAL_TASK_QUEUE: `password-reset-${randomUUID()}`, VUE_APP_URI };
    app = stack().createApp(config);
  });
  afterEach(() => sendgrid.close());

  it('emails a single-use link to <VUE_APP_URI>/reset-password; confirming sets the password and ends every session', async () => {
    const { user, token: fixtureToken } = await createUser();
    const session = await loginAs(app, user.email);
    assert.equal(session.status, 200);
    const worker = await stack().createWorker(config.TEMPORAL_TASK_QUEUE as string, config);
    await worker.runUntil(async () => {
      const requested = await call(app, 'POST', '/v1/auth/password-reset', {
        json: { email: user.email.toUpperCase() },
      });
      assert.equal(requested.status, 202);
      await sendgrid.waitForRequests(1);
    });
    const [mail] = sendgrid.requests;
    assert.deepEqual(mail?.to, [user.email]);
    assert.ok(mail?.text?.includes(`${VUE_APP_URI}/reset-password?token=`));
    const token = tokenFrom(mail);

    // Weak passwords are refused (422 naming the field) and leave the link usable.
    const weak = [
      ['short pw', /12/],
      [user.email, /email/],
      ['qwerty123456', /common/],
    ] as const;
    for (const [password, message] of weak) {
      const response = await call(app, 'POST', '/v1/auth/password-reset/confirm', {
        json: { token, password },
      });
      assert.equal(response.status, 422, password);
      assert.equal(response.body.errors[0].path, 'password');
      assert.match(response.body.errors[0].message, message);
    }

    const confirmed = await call(app, 'POST', '/v1/auth/password-reset/confirm', {
      json: { token, password: NEW_PASSWORD },
    });
    assert.equal(confirmed.status, 204);
    // Every session of the user has ended: the login's and the fixture's.
    for (const accessToken of [session.body.accessToken, fixtureToken]) {
      assert.equal((await call(app, 'GET', '/v1/auth/me', { token: accessToken })).status, 401);
    }
    assert.equal(
      (await call(app, 'POST', '/v1/auth/refresh', { json: { refreshToken: session.body.refreshToken } }))
        .status,
      401,
    );
    assert.equal((await loginAs(app, user.email)).status, 401);
    assert.equal((await loginAs(app, user.email, NEW_PASSWORD)).status, 200);

    // The link works once.
    const again = await call(app, 'POST', '/v1/auth/password-reset/confirm', {
      json: { token, password: 'yet another long password' },
    });
    assert.equal(again.status, 410);
  });

  it('answers an unknown address exactly as a known one, in about the same time, and sends nothing', async () => {
    const { user } = await createUser();
    const timed = async (email: string) => {
      const started = performance.now();
      const response = await call(app, 'POST', '/v1/auth/password-reset', { json: { email } });
      return { response, ms: performance.now() - started };
    };
    // No worker polls this queue: the known address's workflow starts and waits, sending nothing.
    const known = await timed(user.email);
    const unknown = await timed(`nobody-${randomUUID()}@example.test`);
    assert.equal(known.response.status, 202);
    assert.equal(unknown.response.status, 202);
    assert.deepEqual(known.response.body, unknown.response.body);
    assert.equal(known.response.headers.get('content-type'), unknown.response.headers.get('content-type'));
    for (const { ms } of [known, unknown]) assert.ok(ms >= RESET_REQUEST_FLOOR_MS - 5, `${ms} ms`);
    assert.ok(Math.abs(known.ms - unknown.ms) < 150, `${known.ms} ms vs ${unknown.ms} ms`);
    assert.equal(sendgrid.requests.length, 0);
  });

  it('refuses an expired link (410), a tampered or garbage token (400), an unknown reset id (400)', async () => {
    const { user } = await createUser();
    const secret = stack().config.AUTH_JWT_SECRET;
    const expired = await insertPasswordReset(stack().sequelize, user.id, new Date(Date.now() - 1000));
    const live = await insertPasswordReset(stack().sequelize, user.id, new Date(Date.now() + 60_000));
    const confirm = (token: string) =>
      call(app, 'POST', '/v1/auth/password-reset/confirm', { json: { token, password: NEW_PASSWORD } });
    assert.equal((await confirm(resetToken(expired.id, secret))).status, 410);
    const good = resetToken(live.id, secret);
    const tampered = `${good.slice(0, -2)}${good.endsWith('AA') ? 'BB' : 'AA'}`;
    assert.equal((await confirm(tampered)).status, 400);
    assert.equal((await confirm(resetToken(live.id, 'another-secret-of-enough-length!!'))).status, 400);
    assert.equal((await confirm(resetToken(randomUUID(), secret))).status, 400);
    assert.equal((await confirm('garbage')).status, 400);
    const empty = await call(app, 'POST', '/v1/auth/password-reset/confirm', { json: { token: '' } });
    assert.equal(empty.status, 422);
    // The password never changed.
    assert.equal((await loginAs(app, user.email)).status, 200);
  });

  it('422 for a malformed email', async () => {
    const response = await call(app, 'POST', '/v1/auth/password-reset', { json: { email: 'not-an-email' } });
    assert.equal(response.status, 422);
    assert.equal(response.body.errors[0].path, 'email');
  });
});

describe('password change', function () {
  this.timeout(30_000);

  it('changes the password and ends the other sessions; this one goes on', async () => {
    const app = stack().createApp();
    const { user, token: other } = await createUser();
    const current = (await loginAs(app, user.email)).body;
    const changed = await call(app, 'POST', '/v1/auth/password', {
      token: current.accessToken,
      json: { currentPassword: TEST_PASSWORD, newPassword: NEW_PASSWORD },
    });
    assert.equal(changed.status, 204);
    assert.equal((await call(app, 'GET', '/v1/auth/me', { token: current.accessToken })).status, 200);
    assert.equal((await call(app, 'GET', '/v1/auth/me', { token: other })).status, 401);
    const refreshed = await call(app, 'POST', '/v1/auth/refresh', {
      json: { refreshToken: current.refreshToken },
    });
    assert.equal(refreshed.status, 200);
    assert.equal((await loginAs(app, user.email)).status, 401);
    assert.equal((await loginAs(app, user.email, NEW_PASSWORD)).status, 200);
  });

  it('a wrong current password, or a weak new one, is 422 naming the field; nothing changes', async () => {
    const app = stack().createApp();
    const { user, token } = await createUser();
    const change = (json: unknown) => call(app, 'POST', '/v1/auth/password', { token, json });
    const wrong = await change({ currentPassword: 'not the password', newPassword: NEW_PASSWORD });
    assert.equal(wrong.status, 422);
    assert.equal(wrong.body.errors[0].path, 'currentPassword');
    for (const newPassword of ['short', user.email, '1q2w3e4r5t6y']) {
      const weak = await change({ currentPassword: TEST_PASSWORD, newPassword });
      assert.equal(weak.status, 422, newPassword);
      assert.equal(weak.body.errors[0].path, 'newPassword');
    }
    assert.equal((await call(app, 'GET', '/v1/auth/me', { token })).status, 200);
    assert.equal((await loginAs(app, user.email)).status, 200);
  });

  it('needs a token (401)', async () => {
    const response = await call(stack().createApp(), 'POST', '/v1/auth/password', {
      json: { currentPassword: TEST_PASSWORD, newPassword: NEW_PASSWORD },
    });
    assert.equal(response.status, 401);
  });
});

describe('hash upgrade at login (docs/spec.md §12)', function () {
  this.timeout(30_000);

  it('a weaker stored hash is replaced with N=2^17 on the next successful login, not on a failed one', async () => {
    const app = stack().createApp();
    const { user } = await createUser();
    await updatePasswordHash(
      stack().sequelize,
      user.id,
      await hashPassword(TEST_PASSWORD, { N: 16384, r: 8, p: 1 }),
    );
    assert.equal((await loginAs(app, user.email, 'not the password')).status, 401);
    assert.match((await findUser(stack().sequelize, user.id))?.password_hash ?? '', /^scrypt\$16384\$/);
    assert.equal((await loginAs(app, user.email)).status, 200);
    const upgraded = await queryOne<{ password_hash: string }>(
      stack().sequelize,
      'SELECT password_hash FROM users WHERE id = $id',
      { id: user.id },
    );
    assert.match(upgraded?.password_hash ?? '', /^scrypt\$131072\$8\$1\$/);
    assert.equal((await loginAs(app, user.email)).status, 200);
  });
});
