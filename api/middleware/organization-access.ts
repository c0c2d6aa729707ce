import { createMiddleware } from 'hono/factory';
import type { OrganizationRow } from '../../db/organization-store';
import { findOrganizationAccess, ROLE_RANK, type Role } from '../../db/user-store';
import { isUuid } from '../../lib/uuid';
import type { AppEnv } from '../env';
import { ProblemError } from '../problem';
import { ACCOUNT_GONE, tokenClaims, unauthorized } from './authenticate';

export type OrgEnv = AppEnv & { Variables: { organization: OrganizationRow; role: Role } };

/** 404 as for a missing organization, or 403 for a member below `minimum`; the role otherwise. */
function checkRole(orgId: string, minimum: Role, role: Role | undefined | null): Role {
  if (!role) throw new ProblemError(404, `Organization ${orgId} was not found.`);
  if (ROLE_RANK[role] < ROLE_RANK[minimum]) {
    throw new ProblemError(
      403,
      `This action needs the ${minimum} role in this organization; you are ${role}.`,
    );
  }
  return role;
}

/**
 * The one place org-scoped routes are authorized (api/org-route.ts puts it on each of them): a valid
 * access token of an open session of an existing user (401 otherwise, as `authenticate`), then `:orgId` — a caller who
 * is not a member gets 404 exactly as for a missing organization, a member below `minimum` gets 403;
 * platform admins act as owners everywhere. Sets `c.var.user`, `organization` and `role`. One
 * prepared query reads the user, the organization and the membership.
 */
export function requireOrgAccess(secret: string, minimum: Role) {
  return createMiddleware<OrgEnv>(async (c, next) => {
    const { userId, sessionId } = await tokenClaims(c, secret);
    const orgId = c.req.param('orgId') ?? '';
    const access =
      isUuid(userId) && isUuid(sessionId)
        ? await findOrganizationAccess(c.var.db, userId, sessionId, isUuid(orgId) ? orgId : null)
        : undefined;
    if (!access) throw unauthorized(ACCOUNT_GONE);
    c.set('user', { id: userId, email: access.email, platformAdmin: access.platformAdmin, sessionId });
    const { organization } = access;
    const role = checkRole(
      orgId,
      minimum,
      organization ? (access.platformAdmin ? 'owner' : access.role) : undefined,
    );
    c.set('organization', organization as OrganizationRow);
    c.set('role', role);
    await next();
  });
}
