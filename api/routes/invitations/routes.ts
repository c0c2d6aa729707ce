import { createRoute, z } from '@hono/zod-openapi';
import { AcceptedFields, acceptedResponse } from '../../accepted';
import { IdempotencyHeaders, idempotentCreate } from '../../middleware/idempotency';
import { orgRouteFor } from '../../org-route';
import { listSchema, PageQuery } from '../../paging';
import { jsonBody, jsonResponse, problems, UuidParam } from '../../schemas';

const ROLES = ['owner', 'admin', 'member'] as const;
const STATUSES = ['pending', 'sent', 'accepted', 'expired', 'revoked', 'failed'] as const;

const InvitationSchema = z
  .object({
    id: z.uuid(),
    organizationId: z.uuid(),
    email: z.string(),
    role: z.enum(ROLES),
    status: z.enum(STATUSES),
    invitedBy: z.uuid().nullable(),
    expiresAt: z.string(),
    sentAt: z.string().nullable(),
    acceptedAt: z.string().nullable(),
    reminderSentAt: z.string().nullable(),
    failureReason: z.string().nullable(),
    workflowId: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Invitation');

const InvitationAcceptedSchema = InvitationSchema.extend(AcceptedFields).openapi('InvitationAccepted');

const CreateInvitationSchema = z
  .object({
    email: z.email().max(320).openapi({ example: 'nurse@example.com' }),
    role: z.enum(ROLES).openapi({ description: 'Admins may invite admins and members; owners anyone.' }),
  })
  .openapi('CreateInvitation');

const AcceptInvitationSchema = z
  .object({
    token: z.string().min(1).max(4096),
    name: z.string().trim().min(1).max(200),
    password: z
      .string()
      .min(12, 'must be at least 12 characters')
      .max(1024)
      .openapi({ description: 'At least 12 characters. For an existing account: its current password.' }),
  })
  .openapi('AcceptInvitation');

const AcceptedInvitationSchema = z
  .object({
    user: z.object({ id: z.uuid(), email: z.string(), name: z.string() }),
    organizationId: z.uuid(),
    role: z.enum(ROLES),
    accessToken: z.string(),
    tokenType: z.literal('Bearer'),
    expiresIn: z.number().int(),
    refreshToken: z.string(),
    refreshExpiresIn: z.number().int(),
  })
  .openapi('InvitationAcceptance');

const orgParams = z.object({ orgId: UuidParam });
const invitationParams = z.object({ orgId: UuidParam, id: UuidParam });

/** The invitation routes: the contract their handlers (handlers.ts) implement. */
export function invitationRouteDefinitions(secret: string) {
  const orgRoute = orgRouteFor(secret);
  return {
    create: orgRoute('admin', {
      method: 'post',
      path: '/v1/organizations/{orgId}/invitations',
      tags: ['invitations'],
      summary: 'Invite someone by email; starts the invitation workflow',
      middleware: [idempotentCreate()],
      request: { params: orgParams, headers: IdempotencyHeaders, body: jsonBody(CreateInvitationSchema) },
      responses: {
        202: acceptedResponse(InvitationAcceptedSchema, 'Invitation created; the email is on its way'),
        409: problems[409],
        422: problems[422],
        503: problems[503],
      },
    }),
    list: orgRoute('admin', {
      method: 'get',
      path: '/v1/organizations/{orgId}/invitations',
      tags: ['invitations'],
      summary: 'Invitations of the organization, newest first',
      request: {
        params: orgParams,
        query: z.object({ ...PageQuery, status: z.enum(STATUSES).optional() }),
      },
      responses: {
        200: jsonResponse(listSchema(InvitationSchema), 'Invitations'),
        422: problems[422],
      },
    }),
    get: orgRoute('admin', {
      method: 'get',
      path: '/v1/organizations/{orgId}/invitations/{id}',
      tags: ['invitations'],
      summary: 'One invitation',
      request: { params: invitationParams },
      responses: {
        200: jsonResponse(InvitationSchema, 'The invitation'),
        422: problems[422],
      },
    }),
    resend: orgRoute('admin', {
      method: 'post',
      path: '/v1/organizations/{orgId}/invitations/{id}/resend',
      tags: ['invitations'],
      summary: 'Send the invitation email again (same link, same expiry)',
      request: { params: invitationParams },
      responses: {
        202: acceptedResponse(InvitationAcceptedSchema, 'Another email is on its way'),
        409: problems[409],
        422: problems[422],
      },
    }),
    revoke: orgRoute('admin', {
      method: 'delete',
      path: '/v1/organizations/{orgId}/invitations/{id}',
      tags: ['invitations'],
      summary: 'Revoke an open invitation; its link stops working at once',
      request: { params: invitationParams },
      responses: {
        202: acceptedResponse(InvitationAcceptedSchema, 'Revoked'),
        409: problems[409],
        422: problems[422],
      },
    }),
    accept: createRoute({
      method: 'post',
      path: '/v1/invitations/accept',
      tags: ['invitations'],
      summary: 'Accept an invitation: creates the account (or adds the membership) and logs in',
      request: { body: jsonBody(AcceptInvitationSchema) },
      responses: {
        201: jsonResponse(AcceptedInvitationSchema, 'Joined the organization'),
        400: problems[400],
        401: problems[401],
        // docs/spec.md §12: the invitation's organization is being deleted or deleted.
        409: problems[409],
        410: problems[410],
        422: problems[422],
      },
    }),
  };
}
