import { createMiddleware } from 'hono/factory';
import type { Sequelize } from 'sequelize';
import { Organization, type Role } from '../../db/models';
import { rawQuery } from '../../db/sequelize';
import { isUuid } from '../../lib/uuid';
import type { AppEnv } from '../env';
import { ProblemError } from '../problem';
import { ACCOUNT_GONE, tokenUserId, unauthorized } from './authenticate';

const RANK: Record<Role, number> = { member: 1, admin: 2, owner: 3 };

export type OrgEnv = AppEnv & { Variables: { organization: Organization; role: Role } };

/** 404 as for a missing organization, or 403 for a member below `minimum`; the role otherwise. */
function checkRole(orgId: string, minimum: Role, role: Role | undefined | null): Role {
  if (!role) throw new ProblemError(404, `Organization ${orgId} was not found.`);
  if (RANK[role] < RANK[minimum]) {
    throw new ProblemError(
      403,
      `This action needs the ${minimum} role in this organization; you are ${role}.`,
    );
  }
  return role;
}

interface AccessRow {
  email: string;
  platform_admin: boolean;
  role: Role | null;
  org_id: string | null;
  name: string;
  subdomain: string;
  status: Organization['status'];
  dns_status: Organization['dnsStatus'];
  logo_key: string | null;
  logo_url: string | null;
  failure_reason: string | null;
  created_at: Date;
  updated_at: Date;
}

// The user, the organization and the user's membership in it, in one round trip (a prepared statement).
const ACCESS_SQL = `SELECT u.email, u.platform_admin, m.role, o.id AS org_id, o.name, o.subdomain, o.status,
  o.dns_status, o.logo_key, o.logo_url, o.failure_reason, o.created_at, o.updated_at
FROM users u
LEFT JOIN organizations o ON o.id = $2::uuid
LEFT JOIN memberships m ON m.organization_id = o.id AND m.user_id = u.id
WHERE u.id = $1::uuid`;

/**
 * The one place org-scoped routes are authorized (api/org-route.ts puts it on each of them): a valid
 * access token of an existing user (401 otherwise, as `authenticate`), then `:orgId` — a caller who
 * is not a member gets 404 exactly as for a missing organization, a member below `minimum` gets 403;
 * platform admins act as owners everywhere. Sets `c.var.user`, `organization` and `role`. One
 * prepared query reads the user, the organization and the membership.
 */
export function requireOrgAccess(secret: string, minimum: Role) {
  return createMiddleware<OrgEnv>(async (c, next) => {
    const userId = await tokenUserId(c, secret);
    const orgId = c.req.param('orgId') ?? '';
    const sequelize = Organization.sequelize as Sequelize;
    const [row] = isUuid(userId)
      ? await rawQuery<AccessRow>(sequelize, ACCESS_SQL, [userId, isUuid(orgId) ? orgId : null], {
          prepare: true,
        })
      : [];
    if (!row) throw unauthorized(ACCOUNT_GONE);
    c.set('user', { id: userId, email: row.email, platformAdmin: row.platform_admin });
    const role = checkRole(
      orgId,
      minimum,
      row.org_id ? (row.platform_admin ? 'owner' : row.role) : undefined,
    );
    const organization = Organization.build(
      {
        id: row.org_id as string,
        name: row.name,
        subdomain: row.subdomain,
        status: row.status,
        dnsStatus: row.dns_status,
        logoKey: row.logo_key,
        logoUrl: row.logo_url,
        failureReason: row.failure_reason,
        createdAt: row.created_at,
        updatedAt: row.updated_at,
      },
      { raw: true, isNewRecord: false },
    );
    c.set('organization', organization);
    c.set('role', role);
    await next();
  });
}
