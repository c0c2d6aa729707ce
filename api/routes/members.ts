import { z } from '@hono/zod-openapi';
import { QueryTypes } from 'sequelize';
import { type AppDeps, createRouter } from '../env';
import { orgRouteFor } from '../org-route';
import { decodeCursor, listSchema, PageQuery, page } from '../paging';
import { jsonResponse, problems, UuidParam } from '../schemas';

export const MemberSchema = z
  .object({
    userId: z.uuid(),
    email: z.string(),
    name: z.string(),
    role: z.enum(['owner', 'admin', 'member']),
    createdAt: z.string().openapi({ description: 'When the user joined the organization' }),
  })
  .openapi('Member');

interface MemberRow {
  user_id: string;
  email: string;
  name: string;
  role: 'owner' | 'admin' | 'member';
  created_at: Date;
  cursor_at: string;
  id: string;
}

export function memberRoutes({ config, sequelize }: AppDeps) {
  const orgRoute = orgRouteFor(config.AUTH_JWT_SECRET);
  return createRouter().openapi(
    orgRoute('member', {
      method: 'get',
      path: '/v1/organizations/{orgId}/members',
      tags: ['members'],
      summary: "The organization's members, oldest first",
      request: { params: z.object({ orgId: UuidParam }), query: z.object(PageQuery) },
      responses: {
        200: jsonResponse(listSchema(MemberSchema), 'Members'),
        422: problems[422],
      },
    }),
    async (c) => {
      const { limit, cursor } = c.req.valid('query');
      const after = decodeCursor(cursor, ['timestamp', 'uuid']);
      // The cursor keeps created_at as Postgres text, so microseconds survive the round trip.
      const rows = await sequelize.query<MemberRow>(
        `SELECT m.id, m.user_id, u.email, u.name, m.role, m.created_at, m.created_at::text AS cursor_at
           FROM memberships m JOIN users u ON u.id = m.user_id
          WHERE m.organization_id = :orgId
            ${after ? 'AND (m.created_at, m.id) > (CAST(:afterAt AS timestamptz), CAST(:afterId AS uuid))' : ''}
          ORDER BY m.created_at, m.id
          LIMIT :limit`,
        {
          replacements: {
            orgId: c.var.organization.id,
            afterAt: after?.[0] ?? null,
            afterId: after?.[1] ?? null,
            limit: limit + 1,
          },
          type: QueryTypes.SELECT,
        },
      );
      const { items, nextCursor } = page(rows, limit, (row) => [row.cursor_at, row.id]);
      return c.json(
        {
          items: items.map((row) => ({
            userId: row.user_id,
            email: row.email,
            name: row.name,
            role: row.role,
            createdAt: new Date(row.created_at).toISOString(),
          })),
          nextCursor,
        },
        200,
      );
    },
  );
}
