import { createMiddleware } from 'hono/factory';
import { Membership, Organization, type Role } from '../../db/models';
import type { AppEnv } from '../env';
import { ProblemError } from '../problem';

const RANK: Record<Role, number> = { member: 1, admin: 2, owner: 3 };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type OrgEnv = AppEnv & { Variables: { organization: Organization; role: Role } };

/**
 * The one place org-scoped routes are authorized. Reads `:orgId`; a caller who is not a member
 * gets 404 exactly as for a missing organization; a member below `minimum` gets 403.
 * Platform admins act as owners everywhere. Must run after `authenticate`.
 */
export function requireOrgRole(minimum: Role) {
  return createMiddleware<OrgEnv>(async (c, next) => {
    const orgId = c.req.param('orgId') ?? '';
    const notFound = new ProblemError(404, `Organization ${orgId} was not found.`);
    if (!UUID.test(orgId)) throw notFound;
    const user = c.var.user;
    const [organization, membership] = await Promise.all([
      Organization.findByPk(orgId),
      user.platformAdmin ? null : Membership.findOne({ where: { organizationId: orgId, userId: user.id } }),
    ]);
    const role: Role | undefined = user.platformAdmin ? 'owner' : membership?.role;
    if (!organization || !role) throw notFound;
    if (RANK[role] < RANK[minimum]) {
      throw new ProblemError(
        403,
        `This action needs the ${minimum} role in this organization; you are ${role}.`,
      );
    }
    c.set('organization', organization);
    c.set('role', role);
    await next();
  });
}
