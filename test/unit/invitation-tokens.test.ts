import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
  InvalidInvitationTokenError,
  signInvitationToken,
  verifyInvitationToken,
} from '../../lib/invitation-tokens';
import { InvalidTokenError, signAccessToken, verifyAccessToken } from '../../lib/tokens';

const secret = 'unit-test-secret-of-enough-length!!';
const claims = () => ({
  invitationId: randomUUID(),
  tokenId: randomUUID(),
  organizationId: randomUUID(),
  email: 'ivy@example.test',
  expiresAt: new Date(Date.now() + 3600_000),
});

async function reason(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof InvalidInvitationTokenError || error instanceof InvalidTokenError);
    return error.reason;
  }
  assert.fail('expected the token to be rejected');
}

describe('invitation tokens', () => {
  it('round-trips the invitation, its jti, org and email', async () => {
    const input = claims();
    const verified = await verifyInvitationToken(await signInvitationToken(input, secret), secret);
    assert.deepEqual(verified, {
      invitationId: input.invitationId,
      tokenId: input.tokenId,
      organizationId: input.organizationId,
      email: input.email,
    });
  });

  it('an expired token is "expired", another key is "invalid"', async () => {
    const expired = await signInvitationToken(
      { ...claims(), expiresAt: new Date(Date.now() - 5000) },
      secret,
    );
    assert.equal(await reason(verifyInvitationToken(expired, secret)), 'expired');
    const other = await signInvitationToken(claims(), 'some-other-secret-of-enough-length');
    assert.equal(await reason(verifyInvitationToken(other, secret)), 'invalid');
  });

  it('access and invitation tokens are not interchangeable', async () => {
    const access = await signAccessToken(
      { userId: randomUUID(), sessionId: randomUUID() },
      { secret, expiresInSeconds: 600 },
    );
    assert.equal(await reason(verifyInvitationToken(access, secret)), 'invalid');
    const invitation = await signInvitationToken(claims(), secret);
    assert.equal(await reason(verifyAccessToken(invitation, secret)), 'invalid');
  });
});
