import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeJwt, SignJWT } from 'jose';
import { InvalidTokenError, signAccessToken, verifyAccessToken } from '../../lib/tokens';

const secret = 'unit-test-secret-of-enough-length!!';

async function reason(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof InvalidTokenError);
    return error.reason;
  }
  assert.fail('expected the token to be rejected');
}

/** lib/tokens.ts keeps tokens that verified until they expire; these are the checks it must keep. */
describe('access tokens', () => {
  it('verify again and again to the same user and session', async () => {
    const userId = randomUUID();
    const sessionId = randomUUID();
    const token = await signAccessToken({ userId, sessionId }, { secret, expiresInSeconds: 600 });
    for (let i = 0; i < 3; i++)
      assert.deepEqual(await verifyAccessToken(token, secret), { userId, sessionId });
  });

  it('a token without a session id (sid) is "invalid"', async () => {
    const token = await new SignJWT({ typ: 'access' })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(randomUUID())
      .setIssuer('ale-backend')
      .setAudience('ale-api')
      .setIssuedAt()
      .setExpirationTime('600s')
      .sign(new TextEncoder().encode(secret));
    assert.equal(await reason(verifyAccessToken(token, secret)), 'invalid');
  });

  it('a token that verified is "expired" from the second its exp names', async function () {
    this.timeout(5_000);
    const token = await signAccessToken(
      { userId: randomUUID(), sessionId: randomUUID() },
      { secret, expiresInSeconds: 1 },
    );
    await verifyAccessToken(token, secret);
    const { exp } = decodeJwt(token);
    await sleep((exp as number) * 1000 - Date.now() + 20);
    assert.equal(await reason(verifyAccessToken(token, secret)), 'expired');
    assert.equal(await reason(verifyAccessToken(token, secret)), 'expired');
  });

  it('a token that verified with one secret is "invalid" with another; a changed signature is "invalid"', async () => {
    const token = await signAccessToken(
      { userId: randomUUID(), sessionId: randomUUID() },
      { secret, expiresInSeconds: 600 },
    );
    await verifyAccessToken(token, secret);
    assert.equal(await reason(verifyAccessToken(token, 'some-other-secret-of-enough-length')), 'invalid');
    const signatureAt = token.lastIndexOf('.') + 1;
    const changed = `${token.slice(0, signatureAt)}${token[signatureAt] === 'A' ? 'B' : 'A'}${token.slice(signatureAt + 1)}`;
    assert.equal(await reason(verifyAccessToken(changed, secret)), 'invalid');
    assert.equal(await reason(verifyAccessToken(`${token}x`, secret)), 'invalid');
  });

  it('more tokens than the cache holds all still verify', async () => {
    const tokens = await Promise.all(
      Array.from({ length: 10_050 }, (_, i) =>
        signAccessToken(
          { userId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, sessionId: randomUUID() },
          { secret, expiresInSeconds: 600 },
        ),
      ),
    );
    for (const [i, token] of tokens.entries()) {
      assert.equal((await verifyAccessToken(token, secret)).userId.slice(-12), String(i).padStart(12, '0'));
    }
    assert.equal((await verifyAccessToken(tokens[0] as string, secret)).userId.slice(-12), '000000000000');
  });
});
