import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { findTokenUser } from '../../db/user-store';
import { type AccessTokenClaims, InvalidTokenError, verifyAccessToken } from '../../lib/tokens';
import { isUuid } from '../../lib/uuid';
import type { AppEnv } from '../env';
import { ProblemError } from '../problem';

export const unauthorized = (detail: string) =>
  new ProblemError(401, detail, { headers: { 'WWW-Authenticate': 'Bearer' } });

export const ACCOUNT_GONE =
  'The session of this token has ended (logout, password change) or its account no longer exists; log in again.';

/** The claims of a valid `Authorization: Bearer` access token; 401 otherwise. */
export async function tokenClaims(c: Context, secret: string): Promise<AccessTokenClaims> {
  const header = c.req.header('authorization');
  const match = header?.match(/^Bearer\s+(\S+)$/i);
  if (!match?.[1])
    throw unauthorized('Send an access token as "Authorization: Bearer <token>" (POST /v1/auth/login).');
  try {
    return await verifyAccessToken(match[1], secret);
  } catch (error) {
    if (error instanceof InvalidTokenError) throw unauthorized(error.message);
    throw error;
  }
}

/** Requires a valid access token of an open session and a user that still exists; sets `c.var.user`. */
export function authenticate(secret: string) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const { userId, sessionId } = await tokenClaims(c, secret);
    const user =
      isUuid(userId) && isUuid(sessionId) ? await findTokenUser(c.var.db, userId, sessionId) : undefined;
    if (!user) throw unauthorized(ACCOUNT_GONE);
    c.set('user', { id: user.id, email: user.email, platformAdmin: user.platform_admin, sessionId });
    await next();
  });
}

export const requirePlatformAdmin = createMiddleware<AppEnv>(async (c, next) => {
  if (!c.var.user.platformAdmin) throw new ProblemError(403, 'This action needs a platform administrator.');
  await next();
});
