import { findUser, findUserByEmail, listUserMemberships } from '../../../db/user-store';
import { dummyPasswordHash, verifyPassword } from '../../../lib/passwords';
import { signAccessToken } from '../../../lib/tokens';
import { type AppDeps, createRouter } from '../../env';
import { ProblemError } from '../../problem';
import { authRouteDefinitions } from './routes';

export function authRoutes({ config, sequelize }: AppDeps) {
  const routes = authRouteDefinitions(config.AUTH_JWT_SECRET);
  return createRouter()
    .openapi(routes.login, async (c) => {
      const { email, password } = c.req.valid('json');
      const user = await findUserByEmail(sequelize, email.toLowerCase());
      // Unknown email and wrong password take the same time and get the same answer.
      const valid = await verifyPassword(password, user?.password_hash ?? (await dummyPasswordHash()));
      if (!user || !valid) throw new ProblemError(401, 'Email or password is incorrect.');
      const accessToken = await signAccessToken(
        { userId: user.id },
        { secret: config.AUTH_JWT_SECRET, expiresInSeconds: config.ACCESS_TOKEN_EXPIRE },
      );
      return c.json(
        { accessToken, tokenType: 'Bearer' as const, expiresIn: config.ACCESS_TOKEN_EXPIRE },
        200,
      );
    })
    .openapi(routes.me, async (c) => {
      const [user, memberships] = await Promise.all([
        findUser(sequelize, c.var.user.id),
        listUserMemberships(sequelize, c.var.user.id),
      ]);
      if (!user) throw new Error(`User ${c.var.user.id} vanished.`);
      return c.json(
        {
          id: user.id,
          email: user.email,
          name: user.name,
          platformAdmin: user.platform_admin,
          memberships: memberships.map((m) => ({
            organizationId: m.organization_id,
            organizationName: m.organization_name,
            role: m.role,
          })),
        },
        200,
      );
    });
}
