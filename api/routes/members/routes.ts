import { z } from '@hono/zod-openapi';
import { orgRouteFor } from '../../org-route';
import { listSchema, PageQuery } from '../../paging';
import { jsonBody, jsonResponse, problems, UuidParam } from '../../schemas';

const ROLES = ['owner', 'admin', 'member'] as const;

export const MemberSchema = z
  .object({
    userId: z.uuid(),
    email: z.string(),
    name: z.string(),
    role: z.enum(ROLES),
    createdAt: z.string().openapi({ description: 'When the user joined the organization' }),
  })
  .openapi('Member');

const RoleChangeSchema = z.object({ role: z.enum(ROLES) }).openapi('MemberRoleChange');

const MemberParams = z.object({ orgId: UuidParam, userId: UuidParam });

/** The member routes: the contract their handlers (handlers.ts) implement. */
export function memberRouteDefinitions(secret: string) {
  const orgRoute = orgRouteFor(secret);
  return {
    list: orgRoute('member', {
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
    changeRole: orgRoute('admin', {
      method: 'patch',
      path: '/v1/organizations/{orgId}/members/{userId}',
      tags: ['members'],
      summary: "Change a member's role (audited)",
      description:
        'Org admins change roles between admin and member; only an owner grants owner or changes an owner. The last owner cannot be demoted: 409. The same role is a no-op.',
      request: { params: MemberParams, body: jsonBody(RoleChangeSchema) },
      responses: {
        200: jsonResponse(MemberSchema, 'The member with the new role'),
        409: problems[409],
        422: problems[422],
      },
    }),
    remove: orgRoute('member', {
      method: 'delete',
      path: '/v1/organizations/{orgId}/members/{userId}',
      tags: ['members'],
      summary: 'Remove a member, or leave (audited)',
      description:
        'Org admins remove members; only an owner removes an owner; any member may remove themselves (leave). The last owner cannot be removed: 409. The removed user loses access on their next request.',
      request: { params: MemberParams },
      responses: {
        204: { description: 'Removed' },
        403: problems[403],
        409: problems[409],
        422: problems[422],
      },
    }),
  };
}
