import { findUser, findUserByEmail, listUserMemberships } from '../../../db/user-store';
import { dummyPasswordHash, verifyPassword } from '../../../lib/passwords';
import { createSessionService } from '../../../services/sessions';
import { type AppDeps, createRouter } from '../../env';
import { ProblemError } from '../../problem';
import { authRouteDefinitions } from './routes';

export function authRoutes({ config, sequelize }: AppDeps) {
  const routes = authRouteDefinitions(config.AUTH_JWT_SECRET);
  const sessions = createSessionService({ config, sequelize });
  return createRouter()
    .openapi(routes.login, async (c) => {
      const { email, password } = c.req.valid('json');
      const user = await findUserByEmail(sequelize, email.toLowerCase());
      // Unknown email and wrong password take the same time and get the same answer.
      const valid = await verifyPassword(password, user?.password_hash ?? (await dummyPasswordHash()));
      if (!user || !valid) throw new ProblemError(401, 'Email or password is incorrect.');
      return c.json(await sessions.start(user.id, 'password'), 200);
    })
    .openapi(routes.refresh, async (c) => {
      return c.json(await sessions.refresh(c.req.valid('json').refreshToken), 200);
    })
    .openapi(routes.logout, async (c) => {
      await sessions.logout(c.var.user.sessionId);
      return c.body(null, 204);
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
