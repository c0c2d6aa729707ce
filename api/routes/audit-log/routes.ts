import { createRoute, z } from '@hono/zod-openapi';
import { authenticate, requirePlatformAdmin } from '../../middleware/authenticate';
import { orgRouteFor } from '../../org-route';
import { listSchema, PageQuery } from '../../paging';
import { bearerAuth, jsonResponse, problems, UuidParam } from '../../schemas';

export const AuditEntrySchema = z
  .object({
    id: z.uuid(),
    at: z.string(),
    actorUserId: z.uuid().nullable().openapi({ description: 'null for the system (a workflow, the CLI)' }),
    action: z.string().openapi({ example: 'exclusion_match.confirmed' }),
    entityType: z.string(),
    entityId: z.uuid().nullable(),
    organizationId: z.uuid().nullable(),
    details: z.record(z.string(), z.unknown()).openapi({ description: 'Ids, enums and counts only: no PHI' }),
  })
  .openapi('AuditEntry');

const bound = (name: string) =>
  z
    .string()
    .max(40)
    .optional()
    .openapi({
      description: `${name}: a calendar date YYYY-MM-DD (a whole UTC day${name === 'to' ? ', included' : ''}) or an ISO 8601 timestamp with its offset`,
      example: '2026-11-01',
    });

export const AuditQuery = {
  from: bound('from'),
  to: bound('to'),
  action: z.string().min(1).max(100).optional().openapi({ description: 'Exact action, e.g. member.removed' }),
  ...PageQuery,
};

const AuditListSchema = listSchema(AuditEntrySchema).openapi('AuditLog');

/** The audit log's routes (docs/spec.md §10): one organization's trail, and every organization's. */
export function auditLogRouteDefinitions(secret: string) {
  return {
    organization: orgRouteFor(secret)('admin', {
      method: 'get',
      path: '/v1/organizations/{orgId}/audit-log',
      tags: ['audit'],
      summary: "The organization's audit trail, newest first (append-only)",
      request: { params: z.object({ orgId: UuidParam }), query: z.object(AuditQuery) },
      responses: {
        200: jsonResponse(AuditListSchema, 'A page of audit entries'),
        422: problems[422],
      },
    }),
    platform: createRoute({
      method: 'get',
      path: '/v1/audit-log',
      tags: ['audit'],
      summary: 'Every audit entry, newest first (platform admins), optionally of one organization',
      description: 'The trail of a deleted organization stays here under its id.',
      security: bearerAuth,
      middleware: [authenticate(secret), requirePlatformAdmin] as const,
      request: {
        query: z.object({ ...AuditQuery, organizationId: z.uuid().optional() }),
      },
      responses: {
        200: jsonResponse(AuditListSchema, 'A page of audit entries'),
        401: problems[401],
        403: problems[403],
        422: problems[422],
      },
    }),
  };
}
