import { createRoute, type RouteConfig } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import type { Role } from '../db/user-store';
import { type OrgEnv, requireOrgAccess } from './middleware/organization-access';
import { bearerAuth, problems } from './schemas';

type OrgRouteConfig = Omit<RouteConfig, 'security' | 'middleware'> & {
  /** Runs after the organization access check (c.var.user, organization and role are set). */
  middleware?: readonly MiddlewareHandler[];
};

type AccessProblems = { 401: (typeof problems)[401]; 404: (typeof problems)[404] } & Partial<{
  403: (typeof problems)[403];
}>;

/**
 * `createRoute` for the routes under `/v1/organizations/{orgId}`: adds what every one of them has —
 * the bearer security scheme, `requireOrgAccess(secret, role)` before the route's own middleware,
 * and the problem responses of that check (401; 404 for a missing organization or a non-member;
 * 403 when `role` is above member). The route lists its other responses (and a 403 of its own
 * middleware, if any).
 *
 *   const orgRoute = orgRouteFor(config.AUTH_JWT_SECRET);
 *   router.openapi(orgRoute('admin', { method: 'get', path: '/v1/organizations/{orgId}/…', … }), handler)
 */
export function orgRouteFor(secret: string) {
  return <const R extends OrgRouteConfig>(role: Role, route: R) => {
    const { middleware = [], responses, ...rest } = route;
    const access: Record<number, unknown> = { 401: problems[401], 404: problems[404] };
    if (role !== 'member') access[403] = problems[403];
    // A write to an organization being deleted or deleted (docs/spec.md §12).
    if (route.method !== 'get') access[409] = problems[409];
    const merged = { ...responses, ...access } as Record<string, unknown>;
    return createRoute({
      ...rest,
      security: bearerAuth,
      middleware: [requireOrgAccess(secret, role), ...middleware],
      // In status order, as the routes listed them before.
      responses: Object.fromEntries(Object.entries(merged).sort(([a], [b]) => Number(a) - Number(b))),
      // Typed as the access check alone: the handler's context (c.var.organization, role) comes from it.
    } as unknown as Omit<R, 'middleware' | 'responses'> & {
      security: typeof bearerAuth;
      middleware: MiddlewareHandler<OrgEnv>;
      responses: R['responses'] & AccessProblems;
    });
  };
}
