import { listOrganizationsVisibleTo, type OrganizationRow } from '../../../db/organization-store';
import { LogoRejectedError } from '../../../domain/logo';
import { organizationHostname } from '../../../domain/subdomain';
import type { Config } from '../../../lib/config';
import { createOrganizationService, type OrganizationChangeAccepted } from '../../../services/organizations';
import { acceptedBody } from '../../accepted';
import { type AppDeps, createRouter } from '../../env';
import { decodeCursor, page } from '../../paging';
import { ProblemError } from '../../problem';
import { organizationRouteDefinitions } from './routes';

function organizationJson(organization: OrganizationRow, config: Pick<Config, 'BASE_DOMAIN'>) {
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
  };
}

/** A refused logo as its own problem type, naming the body as the field at fault. */
function logoProblem(error: LogoRejectedError) {
  return new ProblemError(error.status, error.message, {
    type: `https://ale.test/problems/logo-${error.code}`,
    errors: [{ path: '(body)', message: error.message }],
  });
}

export function organizationRoutes(deps: AppDeps) {
  const { config, sequelize } = deps;
  const routes = organizationRouteDefinitions(config.AUTH_JWT_SECRET);
  const organizations = createOrganizationService(deps);
  const accepted = ({ organization, workflowId }: OrganizationChangeAccepted) =>
    acceptedBody(
      config,
      organizationJson(organization, config),
      workflowId,
      `/v1/organizations/${organization.id}`,
    );

  return createRouter()
    .openapi(routes.create, async (c) => {
      const change = await organizations.createOrganization(c.var.user.id, c.req.valid('json'));
      return c.json(accepted(change), 202);
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
      return c.json(accepted({ organization: change.organization, workflowId: change.workflowId }), 202);
    })
    .openapi(routes.putLogo, async (c) => {
      const bytes = new Uint8Array(await c.req.arrayBuffer());
      const change = await organizations
        .stageLogo(c.var.user.id, c.var.organization, bytes)
        .catch((error: unknown) => {
          throw error instanceof LogoRejectedError ? logoProblem(error) : error;
        });
      return c.json(accepted(change), 202);
    })
    .openapi(routes.deleteLogo, async (c) => {
      const change = await organizations.removeLogo(c.var.user.id, c.var.organization);
      return c.json(accepted(change), 202);
    })
    .openapi(routes.retry, async (c) => {
      const change = await organizations.retryProvisioning(c.var.user.id, c.var.organization.id);
      return c.json(accepted(change), 202);
    })
    .openapi(routes.remove, async (c) => {
      const change = await organizations.deleteOrganization(c.var.user.id, c.var.organization.id);
      return c.json(accepted(change), 202);
    });
}
