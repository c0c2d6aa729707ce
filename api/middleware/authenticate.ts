import { createMiddleware } from 'hono/factory';
import { User } from '../../db/models';
import { InvalidTokenError, verifyAccessToken } from '../../lib/tokens';
import type { AppEnv } from '../env';
import { ProblemError } from '../problem';

const unauthorized = (detail: string) =>
  new ProblemError(401, detail, { headers: { 'WWW-Authenticate': 'Bearer' } });

/** Requires a valid access token and a user that still exists; sets `c.var.user`. */
export function authenticate(secret: string) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const header = c.req.header('authorization');
    const match = header?.match(/^Bearer\s+(\S+)$/i);
    if (!match?.[1])
      throw unauthorized('Send an access token as "Authorization: Bearer <token>" (POST /v1/auth/login).');
    let userId: string;
    try {
      ({ userId } = await verifyAccessToken(match[1], secret));
    } catch (error) {
      if (error instanceof InvalidTokenError) throw unauthorized(error.message);
      throw error;
    }
    const user = await User.findByPk(userId, { attributes: ['id', 'email', 'platformAdmin'] });
    if (!user) throw unauthorized('The account for this token no longer exists.');
    c.set('user', { id: user.id, email: user.email, platformAdmin: user.platformAdmin });
    await next();
  });
}

export const requirePlatformAdmin = createMiddleware<AppEnv>(async (c, next) => {
  if (!c.var.user.platformAdmin) throw new ProblemError(403, 'This action needs a platform administrator.');
  await next();
});
