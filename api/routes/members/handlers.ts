import { listMembers, type MemberListRow } from '../../../db/user-store';
import { changeMemberRole, removeMember } from '../../../services/members';
import { type AppDeps, createRouter } from '../../env';
import { decodeCursor, page } from '../../paging';
import { memberRouteDefinitions } from './routes';

const memberJson = (row: MemberListRow) => ({
  userId: row.user_id,
  email: row.email,
  name: row.name,
  role: row.role,
  createdAt: row.created_at.toISOString(),
});

export function memberRoutes({ config, sequelize }: AppDeps) {
  const routes = memberRouteDefinitions(config.AUTH_JWT_SECRET);
  return createRouter()
    .openapi(routes.list, async (c) => {
      const { limit, cursor } = c.req.valid('query');
      const after = decodeCursor(cursor, ['timestamp', 'uuid']);
      const rows = await listMembers(sequelize, c.var.organization.id, after, limit + 1);
      const { items, nextCursor } = page(rows, limit, (row) => [row.cursor_at, row.id]);
      return c.json({ items: items.map(memberJson), nextCursor }, 200);
    })
    .openapi(routes.changeRole, async (c) => {
      const { userId } = c.req.valid('param');
      const member = await changeMemberRole(sequelize, {
        organizationId: c.var.organization.id,
        userId,
        actorUserId: c.var.user.id,
        actorRole: c.var.role,
        role: c.req.valid('json').role,
      });
      return c.json(memberJson(member), 200);
    })
    .openapi(routes.remove, async (c) => {
      const { userId } = c.req.valid('param');
      await removeMember(sequelize, {
        organizationId: c.var.organization.id,
        userId,
        actorUserId: c.var.user.id,
        actorRole: c.var.role,
      });
      return c.body(null, 204);
    });
}
