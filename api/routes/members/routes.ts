import { z } from '@hono/zod-openapi';
import { orgRouteFor } from '../../org-route';
import { listSchema, PageQuery } from '../../paging';
import { jsonResponse, problems, UuidParam } from '../../schemas';

export const MemberSchema = z
  .object({
    userId: z.uuid(),
    email: z.string(),
    name: z.string(),
    role: z.enum(['owner', 'admin', 'member']),
    createdAt: z.string().openapi({ description: 'When the user joined the organization' }),
  })
  .openapi('Member');

/** The member routes: the contract their handlers (handlers.ts) implement. */
export function memberRouteDefinitions(secret: string) {
  return {
    list: orgRouteFor(secret)('member', {
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
  };
}
