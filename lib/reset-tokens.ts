import { createHmac, timingSafeEqual } from 'node:crypto';
import { isUuid } from './uuid';

/**
 * Password-reset link tokens (docs/spec.md §11): `<resetId>.<HMAC-SHA256(secret, resetId)>`. The
 * token is derived from the row id with the server secret, so the email activity can rebuild it
 * from the id alone (nothing secret enters workflow history) and the database stores no token: a
 * copy of it opens nothing. Single use and expiry live on the `password_resets` row.
 */

const PURPOSE = 'ale-password-reset:';

function mac(resetId: string, secret: string): Buffer {
  return createHmac('sha256', secret)
    .update(PURPOSE + resetId)
    .digest();
}

export function resetToken(resetId: string, secret: string): string {
  return `${resetId}.${mac(resetId, secret).toString('base64url')}`;
}

/** The reset id of an authentic token, or undefined for anything forged, tampered or malformed. */
export function resetIdOf(token: string, secret: string): string | undefined {
  const [resetId, signature, ...rest] = token.split('.');
  if (!resetId || !signature || rest.length > 0 || !isUuid(resetId)) return undefined;
  const expected = mac(resetId, secret);
  const given = Buffer.from(signature, 'base64url');
  return given.length === expected.length && timingSafeEqual(given, expected) ? resetId : undefined;
}
