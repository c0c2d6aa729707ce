import { createRoute, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { LOGO_MAX_UPLOAD_BYTES } from '../../../domain/logo';
import {
  RESERVED_SUBDOMAINS,
  SUBDOMAIN_MAX_LENGTH,
  SUBDOMAIN_MIN_LENGTH,
  subdomainProblems,
} from '../../../domain/subdomain';
import { AcceptedFields, acceptedResponse, ResourceLinks } from '../../accepted';
import { authenticate, requirePlatformAdmin } from '../../middleware/authenticate';
import { limitBody } from '../../middleware/body-limit';
import { IdempotencyHeaders, idempotentCreate } from '../../middleware/idempotency';
import type { OrgEnv } from '../../middleware/organization-access';
import { orgRouteFor } from '../../org-route';
import { listSchema, PageQuery } from '../../paging';
import { bearerAuth, jsonBody, jsonResponse, problems, UuidParam } from '../../schemas';

const SubdomainSchema = z
  .string()
  .max(253)
  .superRefine((value, ctx) => {
    for (const message of subdomainProblems(value)) ctx.addIssue({ code: 'custom', message });
  })
  .openapi({
    example: 'acme',
    description: '3–63 of a–z 0–9 -, not reserved; becomes <subdomain>.<BASE_DOMAIN>',
    // What subdomainProblems enforces, stated for clients (without lookahead, which not every
    // client's regex engine has): no hyphen at either end, no "--" at positions 3–4, not reserved.
    minLength: SUBDOMAIN_MIN_LENGTH,
    maxLength: SUBDOMAIN_MAX_LENGTH,
    pattern: '^[a-z0-9][a-z0-9-]-?[a-z0-9]([a-z0-9-]*[a-z0-9])?$',
    not: { enum: [...RESERVED_SUBDOMAINS] },
  });

const NameSchema = z.string().trim().min(1).max(200).openapi({ example: 'Acme Home Care' });

const CreateOrganizationSchema = z
  .object({ name: NameSchema, subdomain: SubdomainSchema })
  .openapi('CreateOrganization');

const UpdateOrganizationSchema = z
  .object({ name: NameSchema.optional(), subdomain: SubdomainSchema.optional() })
  .openapi('UpdateOrganization');

const organizationFields = {
  id: z.uuid(),
  name: z.string(),
  subdomain: z.string(),
  hostname: z.string().openapi({ example: 'acme.ale.test' }),
  status: z.enum(['provisioning', 'active', 'failed', 'deprovisioning', 'deleted']),
  dnsStatus: z.enum(['pending', 'in_sync', 'failed']),
  logoUrl: z.string().nullable(),
  failureReason: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  links: ResourceLinks,
};
const OrganizationSchema = z.object(organizationFields).openapi('Organization');
const AcceptedOrganizationSchema = z
  .object({ ...organizationFields, ...AcceptedFields })
  .openapi('AcceptedOrganization');

const OrgParams = z.object({ orgId: UuidParam });

// After the organization access check, so another organization answers 404 before a member is told 403.
const platformAdminOfOrg = requirePlatformAdmin as unknown as MiddlewareHandler<OrgEnv>;
// app.ts leaves image bodies uncapped for the route to cap: one byte over the limit answers 413 unread.
const logoBodyLimit = limitBody(LOGO_MAX_UPLOAD_BYTES, 'logo') as unknown as MiddlewareHandler<OrgEnv>;

/** Retry and delete: platform admins only, answered 202 once the change is signalled. */
const platformAdminChange = (accepted: string) => ({
  middleware: [platformAdminOfOrg] as const,
  request: { params: OrgParams },
  responses: {
    202: acceptedResponse(AcceptedOrganizationSchema, accepted),
    403: problems[403],
    409: problems[409],
    503: problems[503],
  },
});

/** The organization routes: the contract their handlers (handlers.ts) implement. */
export function organizationRouteDefinitions(secret: string) {
  const orgRoute = orgRouteFor(secret);
  const auth = authenticate(secret);
  return {
    create: createRoute({
      method: 'post',
      path: '/v1/organizations',
      tags: ['organizations'],
      summary: 'Create an organization and start provisioning its subdomain',
      security: bearerAuth,
      middleware: [auth, requirePlatformAdmin, idempotentCreate()] as const,
      request: { headers: IdempotencyHeaders, body: jsonBody(CreateOrganizationSchema) },
      responses: {
        202: acceptedResponse(AcceptedOrganizationSchema, 'Recorded; provisioning runs in organization/<id>'),
        401: problems[401],
        403: problems[403],
        409: problems[409],
        422: problems[422],
        503: problems[503],
      },
    }),
    list: createRoute({
      method: 'get',
      path: '/v1/organizations',
      tags: ['organizations'],
      summary: 'Organizations by name: all for platform admins, otherwise those the user belongs to',
      security: bearerAuth,
      middleware: [auth] as const,
      request: { query: z.object(PageQuery) },
      responses: {
        200: jsonResponse(listSchema(OrganizationSchema), 'Organizations'),
        401: problems[401],
        422: problems[422],
      },
    }),
    get: orgRoute('member', {
      method: 'get',
      path: '/v1/organizations/{orgId}',
      tags: ['organizations'],
      summary: 'One organization with its hostname, provisioning and DNS status and logo URL',
      request: { params: OrgParams },
      responses: {
        200: jsonResponse(OrganizationSchema, 'The organization'),
      },
    }),
    update: orgRoute('admin', {
      method: 'patch',
      path: '/v1/organizations/{orgId}',
      tags: ['organizations'],
      summary: 'Rename (200) or change the subdomain (202: new record, wait for INSYNC, old one deleted)',
      request: { params: OrgParams, body: jsonBody(UpdateOrganizationSchema) },
      responses: {
        200: jsonResponse(OrganizationSchema, 'Renamed; nothing else to do'),
        202: acceptedResponse(AcceptedOrganizationSchema, 'Subdomain change recorded and signalled'),
        409: problems[409],
        422: problems[422],
        503: problems[503],
      },
    }),
    putLogo: orgRoute('admin', {
      method: 'put',
      path: '/v1/organizations/{orgId}/logo',
      tags: ['organizations'],
      summary: 'Upload a logo (raw PNG, JPEG, GIF, WebP or SVG body, at most 2 MB); it is normalized to PNG',
      description:
        'The format is detected from the bytes, whatever Content-Type says. SVG is rasterized and never served as SVG.',
      middleware: [logoBodyLimit] as const,
      request: {
        params: OrgParams,
        body: {
          required: true,
          content: {
            'image/*': { schema: z.string().openapi({ format: 'binary' }) },
            'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) },
          },
        },
      },
      responses: {
        202: acceptedResponse(AcceptedOrganizationSchema, 'Staged; the workflow normalizes and publishes it'),
        409: problems[409],
        413: problems[413],
        415: problems[415],
        422: problems[422],
        503: problems[503],
      },
    }),
    deleteLogo: orgRoute('admin', {
      method: 'delete',
      path: '/v1/organizations/{orgId}/logo',
      tags: ['organizations'],
      summary: 'Remove the logo (the object is deleted once the organization no longer refers to it)',
      request: { params: OrgParams },
      responses: {
        202: acceptedResponse(AcceptedOrganizationSchema, 'Removal signalled'),
        409: problems[409],
        503: problems[503],
      },
    }),
    retry: orgRoute('member', {
      method: 'post',
      path: '/v1/organizations/{orgId}/provisioning/retry',
      tags: ['organizations'],
      summary: 'Re-apply the change that left the organization failed',
      ...platformAdminChange('Retry signalled'),
    }),
    remove: orgRoute('member', {
      method: 'delete',
      path: '/v1/organizations/{orgId}',
      tags: ['organizations'],
      summary: 'Deprovision: delete the DNS record and the logo, then mark the organization deleted',
      description: 'A deleted organization stays readable; its subdomain can be used by a new organization.',
      ...platformAdminChange('Deprovisioning signalled (or already under way)'),
    }),
  };
}
