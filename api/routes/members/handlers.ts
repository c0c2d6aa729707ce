import { listMembers } from '../../../db/user-store';
import { type AppDeps, createRouter } from '../../env';
import { decodeCursor, page } from '../../paging';
import { memberRouteDefinitions } from './routes';

export function memberRoutes({ config, sequelize }: AppDeps) {
  const routes = memberRouteDefinitions(config.AUTH_JWT_SECRET);
  return createRouter().openapi(routes.list, async (c) => {
    const { limit, cursor } = c.req.valid('query');
    const after = decodeCursor(cursor, ['timestamp', 'uuid']);
    const rows = await listMembers(sequelize, c.var.organization.id, after, limit + 1);
    const { items, nextCursor } = page(rows, limit, (row) => [row.cursor_at, row.id]);
    return c.json(
      {
        items: items.map((row) => ({
          userId: row.user_id,
          email: row.email,
          name: row.name,
          role: row.role,
          createdAt: row.created_at.toISOString(),
        })),
        nextCursor,
      },
      200,
    );
  });
}
