import { findUser, findUserByEmail, listUserMemberships, updatePasswordHash } from '../../../db/user-store';
import {
  dummyPasswordHash,
  hashPassword,
  isPasswordHash,
  needsRehash,
  verifyPassword,
} from '../../../lib/passwords';
import { accessTokenUser } from '../../../lib/tokens';
import { createPasswordService } from '../../../services/passwords';
import { createSessionService } from '../../../services/sessions';
import { type AppDeps, createRouter } from '../../env';
import { ProblemError } from '../../problem';
import { authRouteDefinitions } from './routes';

const RESET_REQUESTED = {
  status: 'accepted' as const,
  detail: 'If this address has an account, an email with a reset link is on its way.',
};

export function authRoutes({ config, sequelize, temporal }: AppDeps) {
  const routes = authRouteDefinitions(config.AUTH_JWT_SECRET);
  const sessions = createSessionService({ config, sequelize });
  const passwords = createPasswordService({ config, sequelize, temporal });
  return createRouter()
    .openapi(routes.login, async (c) => {
      const { email, password } = c.req.valid('json');
      const user = await findUserByEmail(sequelize, email.toLowerCase());
      // Unknown email and wrong password take the same time and get the same answer.
      // An account without a password (single sign-on) is checked against the dummy hash too.
      const stored = user && isPasswordHash(user.password_hash) ? user.password_hash : undefined;
      const valid = (await verifyPassword(password, stored ?? (await dummyPasswordHash()))) && !!stored;
      if (!user || !valid) throw new ProblemError(401, 'Email or password is incorrect.');
      // docs/spec.md §12: a hash made with weaker parameters is replaced now that we hold the password.
      if (needsRehash(user.password_hash)) {
        await updatePasswordHash(sequelize, user.id, await hashPassword(password));
      }
      return c.json(await sessions.start(user.id, 'password'), 200);
    })
    .openapi(routes.refresh, async (c) => {
      const bearer = /^Bearer (\S+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
      const presentedBy = bearer ? await accessTokenUser(bearer, config.AUTH_JWT_SECRET) : null;
      return c.json(await sessions.refresh(c.req.valid('json').refreshToken, presentedBy), 200);
    })
    .openapi(routes.logout, async (c) => {
      await sessions.logout(c.var.user.sessionId);
      return c.body(null, 204);
    })
    .openapi(routes.passwordReset, async (c) => {
      await passwords.requestReset(c.req.valid('json').email, c.var.logger);
      return c.json(RESET_REQUESTED, 202);
    })
    .openapi(routes.passwordResetConfirm, async (c) => {
      const { token, password } = c.req.valid('json');
      await passwords.confirmReset(token, password);
      return c.body(null, 204);
    })
    .openapi(routes.passwordChange, async (c) => {
      const { id, sessionId } = c.var.user;
      await passwords.changePassword({ userId: id, sessionId }, c.req.valid('json'));
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
