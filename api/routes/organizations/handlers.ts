import type { Context } from 'hono';
import { listOrganizationsVisibleTo, type OrganizationRow } from '../../../db/organization-store';
import { LogoRejectedError } from '../../../domain/logo';
import { organizationHostname } from '../../../domain/subdomain';
import type { Config } from '../../../lib/config';
import { organizationWorkflowId } from '../../../lib/workflow-contracts';
import { createOrganizationService, type OrganizationChangeAccepted } from '../../../services/organizations';
import { accepted, acceptedBody, resourceLinks } from '../../accepted';
import { type AppDeps, createRouter } from '../../env';
import { exampleCall, unsupportedMediaType } from '../../media-types';
import { decodeCursor, page } from '../../paging';
import { ProblemError } from '../../problem';
import { organizationRouteDefinitions } from './routes';

const organizationPath = (organization: OrganizationRow) => `/v1/organizations/${organization.id}`;

function organizationJson(
  organization: OrganizationRow,
  config: Pick<Config, 'BASE_DOMAIN' | 'TEMPORAL_UI_URL' | 'TEMPORAL_NAMESPACE'>,
) {
  return {
    id: organization.id,
    name: organization.name,
    subdomain: organization.subdomain,
    hostname: organizationHostname(organization.subdomain, config.BASE_DOMAIN),
    status: organization.status,
    dnsStatus: organization.dns_status,
    logoUrl: organization.logo_url ?? null,
    failureReason: organization.failure_reason ?? null,
    createdAt: organization.created_at.toISOString(),
    updatedAt: organization.updated_at.toISOString(),
    // The organization's entity workflow carries every change: provisioning, logo, subdomain, removal.
    links: resourceLinks(config, organizationPath(organization), organizationWorkflowId(organization.id)),
  };
}

const LOGO_MEDIA_TYPES = ['image/*', 'application/octet-stream'];

/** A refused logo as its own problem type, naming the body as the field at fault; a 415 shows a call that works. */
function logoProblem(c: Context, error: LogoRejectedError) {
  const example = error.status === 415 ? exampleCall(c, 'image/*') : undefined;
  return new ProblemError(
    error.status,
    example ? `${error.message} For example: ${example}` : error.message,
    {
      type: `https://ale.test/problems/logo-${error.code}`,
      errors: [{ path: '(body)', message: error.message }],
      members: example ? { acceptedContentTypes: LOGO_MEDIA_TYPES, example } : undefined,
    },
  );
}

export function organizationRoutes(deps: AppDeps) {
  const { config, sequelize } = deps;
  const routes = organizationRouteDefinitions(config.AUTH_JWT_SECRET);
  const organizations = createOrganizationService(deps);
  const acceptedChange = (c: Context, { organization, workflowId }: OrganizationChangeAccepted) =>
    accepted(
      c,
      acceptedBody(
        config,
        organizationJson(organization, config),
        workflowId,
        organizationPath(organization),
      ),
    );

  return createRouter()
    .openapi(routes.create, async (c) => {
      const change = await organizations.createOrganization(c.var.user.id, c.req.valid('json'));
      return acceptedChange(c, change);
    })
    .openapi(routes.list, async (c) => {
      const { limit, cursor } = c.req.valid('query');
      const after = decodeCursor(cursor, ['text', 'uuid']);
      const viewer = { userId: c.var.user.id, platformAdmin: c.var.user.platformAdmin };
      const rows = await listOrganizationsVisibleTo(sequelize, viewer, after, limit + 1);
      const { items, nextCursor } = page(rows, limit, (row) => [row.name, row.id]);
      return c.json({ items: items.map((row) => organizationJson(row, config)), nextCursor }, 200);
    })
    .openapi(routes.get, async (c) => c.json(organizationJson(c.var.organization, config), 200))
    .openapi(routes.update, async (c) => {
      const change = await organizations.updateOrganization(
        c.var.user.id,
        c.var.organization.id,
        c.req.valid('json'),
      );
      if (change.workflowId === null) return c.json(organizationJson(change.organization, config), 200);
      return acceptedChange(c, { organization: change.organization, workflowId: change.workflowId });
    })
    .openapi(routes.putLogo, async (c) => {
      // The image is told by its bytes, whatever the type says; a form's bytes are the form's, not the image.
      if (/^multipart\/form-data/i.test(c.req.header('content-type') ?? '')) {
        throw unsupportedMediaType(c, LOGO_MEDIA_TYPES);
      }
      const bytes = new Uint8Array(await c.req.arrayBuffer());
      const change = await organizations
        .stageLogo(c.var.user.id, c.var.organization, bytes)
        .catch((error: unknown) => {
          throw error instanceof LogoRejectedError ? logoProblem(c, error) : error;
        });
      return acceptedChange(c, change);
    })
    .openapi(routes.deleteLogo, async (c) => {
      const change = await organizations.removeLogo(c.var.user.id, c.var.organization);
      return acceptedChange(c, change);
    })
    .openapi(routes.retry, async (c) => {
      const change = await organizations.retryProvisioning(c.var.user.id, c.var.organization.id);
      return acceptedChange(c, change);
    })
    .openapi(routes.remove, async (c) => {
      const change = await organizations.deleteOrganization(c.var.user.id, c.var.organization.id);
      return acceptedChange(c, change);
    });
}
