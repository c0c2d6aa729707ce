import type { Sequelize } from 'sequelize';
import { ConflictError } from '../domain/errors';
import { decideMembershipChange, type MembershipDecision } from '../domain/membership-rules';
import { recordAudit } from './audit-store';
import type { OrganizationRow } from './organization-store';
import { type Db, execute, inTransaction, isUniqueViolation, query, queryOne } from './sql';

/** Every statement on `users` and `memberships`, including the authorization read of every request. */

export type Role = 'owner' | 'admin' | 'member';

/** Each role may do what the roles below it may. */
export const ROLE_RANK: Record<Role, number> = { member: 1, admin: 2, owner: 3 };

export interface UserRow {
  id: string;
  email: string;
  name: string;
  password_hash: string;
  platform_admin: boolean;
  created_at: Date;
  updated_at: Date;
}

export interface MembershipRow {
  id: string;
  organization_id: string;
  user_id: string;
  role: Role;
  created_at: Date;
  updated_at: Date;
}

const USER_COLUMNS = 'id, email, name, password_hash, platform_admin, created_at, updated_at';

/**
 * Who a valid access token speaks for, while the token's session is open (docs/spec.md §11); runs
 * on every authenticated request, so a session ended on any replica stops here at the next request.
 */
export function findTokenUser(
  db: Db,
  id: string,
  sessionId: string,
): Promise<Pick<UserRow, 'id' | 'email' | 'platform_admin'> | undefined> {
  return queryOne(
    db,
    `SELECT u.id, u.email, u.platform_admin
       FROM users u JOIN sessions s ON s.user_id = u.id
      WHERE u.id = $id::uuid AND s.id = $sessionId::uuid AND s.revoked_at IS NULL`,
    { id, sessionId },
    { prepare: true },
  );
}

/** Replaces the user's password hash (a reset, a change, or an upgrade to stronger parameters). */
export async function updatePasswordHash(db: Db, userId: string, passwordHash: string): Promise<void> {
  await execute(db, 'UPDATE users SET password_hash = $passwordHash, updated_at = now() WHERE id = $userId', {
    userId,
    passwordHash,
  });
}

export function findUser(db: Db, id: string): Promise<UserRow | undefined> {
  return queryOne<UserRow>(db, `SELECT ${USER_COLUMNS} FROM users WHERE id = $id`, { id });
}

/** `email` as stored: lower case. */
export function findUserByEmail(db: Db, email: string): Promise<UserRow | undefined> {
  return queryOne<UserRow>(db, `SELECT ${USER_COLUMNS} FROM users WHERE email = $email`, { email });
}

/** A new account; a ConflictError when the address has one (in a transaction, which can only roll back). */
export async function insertUser(
  db: Db,
  user: Pick<UserRow, 'email' | 'name' | 'password_hash'> & { platform_admin?: boolean },
): Promise<UserRow> {
  try {
    const row = await queryOne<UserRow>(
      db,
      `INSERT INTO users (email, name, password_hash, platform_admin)
       VALUES ($email, $name, $passwordHash, $platformAdmin)
       RETURNING ${USER_COLUMNS}`,
      {
        email: user.email,
        name: user.name,
        passwordHash: user.password_hash,
        platformAdmin: user.platform_admin ?? false,
      },
    );
    return row as UserRow;
  } catch (error) {
    if (isUniqueViolation(error)) throw new ConflictError(`${user.email} already has an account.`);
    throw error;
  }
}

/** A new account unless the address has one; whether it was created. */
export async function insertUserIfAbsent(
  db: Db,
  user: Pick<UserRow, 'email' | 'name' | 'password_hash' | 'platform_admin'>,
): Promise<boolean> {
  const created = await execute(
    db,
    `INSERT INTO users (email, name, password_hash, platform_admin)
     VALUES ($email, $name, $passwordHash, $platformAdmin)
     ON CONFLICT (email) DO NOTHING`,
    {
      email: user.email,
      name: user.name,
      passwordHash: user.password_hash,
      platformAdmin: user.platform_admin,
    },
  );
  return created > 0;
}

/** Adds the user to the organization with `role`; an existing membership keeps its role. */
export async function ensureMembership(
  db: Db,
  membership: Pick<MembershipRow, 'organization_id' | 'user_id' | 'role'>,
): Promise<void> {
  await execute(
    db,
    `INSERT INTO memberships (organization_id, user_id, role) VALUES ($organizationId, $userId, $role)
     ON CONFLICT (organization_id, user_id) DO NOTHING`,
    { organizationId: membership.organization_id, userId: membership.user_id, role: membership.role },
  );
}

/** Whether the address belongs to a member of the organization. */
export async function isMemberByEmail(db: Db, organizationId: string, email: string): Promise<boolean> {
  const row = await queryOne(
    db,
    `SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id
      WHERE m.organization_id = $organizationId AND u.email = $email`,
    { organizationId, email },
  );
  return row !== undefined;
}

/** A member as the members list shows them; `cursor_at` keeps created_at as Postgres text (microseconds). */
export interface MemberListRow {
  id: string;
  user_id: string;
  email: string;
  name: string;
  role: Role;
  created_at: Date;
  cursor_at: string;
}

/** The organization's members, oldest first, after the (created_at, membership id) cursor. */
export function listMembers(
  db: Db,
  organizationId: string,
  after: [createdAt: string, id: string] | undefined,
  limit: number,
): Promise<MemberListRow[]> {
  return query<MemberListRow>(
    db,
    `SELECT m.id, m.user_id, u.email, u.name, m.role, m.created_at, m.created_at::text AS cursor_at
       FROM memberships m JOIN users u ON u.id = m.user_id
      WHERE m.organization_id = $organizationId
        ${after ? 'AND (m.created_at, m.id) > (CAST($afterAt AS timestamptz), CAST($afterId AS uuid))' : ''}
      ORDER BY m.created_at, m.id
      LIMIT $limit`,
    { organizationId, afterAt: after?.[0] ?? null, afterId: after?.[1] ?? null, limit },
  );
}

/** The user's memberships, oldest first, with the organization's name. */
export function listUserMemberships(
  db: Db,
  userId: string,
): Promise<{ organization_id: string; organization_name: string; role: Role }[]> {
  return query(
    db,
    `SELECT m.organization_id, o.name AS organization_name, m.role
       FROM memberships m JOIN organizations o ON o.id = m.organization_id
      WHERE m.user_id = $userId
      ORDER BY m.created_at`,
    { userId },
  );
}

/** What `findOrganizationAccess` reads: the user, and the organization with the user's role in it. */
export interface OrganizationAccess {
  email: string;
  platformAdmin: boolean;
  /** Null when the organization does not exist. */
  organization: OrganizationRow | null;
  /** Null when the user is not a member (a platform admin may still act). */
  role: Role | null;
}

interface AccessRow {
  email: string;
  platform_admin: boolean;
  role: Role | null;
  org_id: string | null;
  name: string;
  subdomain: string;
  status: OrganizationRow['status'];
  dns_status: OrganizationRow['dns_status'];
  logo_key: string | null;
  logo_url: string | null;
  failure_reason: string | null;
  created_at: Date;
  updated_at: Date;
}

// The user (while the token's session is open), the organization and the user's membership in it,
// in one round trip (a prepared statement).
const ACCESS_SQL = `SELECT u.email, u.platform_admin, m.role, o.id AS org_id, o.name, o.subdomain, o.status,
  o.dns_status, o.logo_key, o.logo_url, o.failure_reason, o.created_at, o.updated_at
FROM users u
JOIN sessions s ON s.id = $sessionId::uuid AND s.user_id = u.id AND s.revoked_at IS NULL
LEFT JOIN organizations o ON o.id = $orgId::uuid
LEFT JOIN memberships m ON m.organization_id = o.id AND m.user_id = u.id
WHERE u.id = $userId::uuid`;

/**
 * The authorization read of every org-scoped request; undefined when the user does not exist or the
 * session has ended. `organizationId` null (not a uuid) reads the user alone.
 */
export async function findOrganizationAccess(
  db: Db,
  userId: string,
  sessionId: string,
  organizationId: string | null,
): Promise<OrganizationAccess | undefined> {
  const row = await queryOne<AccessRow>(
    db,
    ACCESS_SQL,
    { userId, sessionId, orgId: organizationId },
    { prepare: true },
  );
  if (!row) return undefined;
  const { email, platform_admin, role, org_id, ...organization } = row;
  return {
    email,
    platformAdmin: platform_admin,
    role,
    organization: org_id ? { id: org_id, ...organization } : null,
  };
}

/** What came of a membership change: the member is missing, the rules refused it, or it is done. */
export type MembershipChangeOutcome =
  | { kind: 'missing' }
  | { kind: 'refused'; decision: Extract<MembershipDecision, { allowed: false }> }
  | { kind: 'changed'; previousRole: Role; member: MemberListRow | null };

/**
 * Changes a member's role (`newRole`) or removes them (null), as decided by
 * domain/membership-rules.ts, and audits it, in one transaction that locks the organization's
 * memberships first: the owner count the rules read cannot change before the write.
 */
export function changeMembership(
  sequelize: Sequelize,
  change: {
    organizationId: string;
    userId: string;
    actorUserId: string;
    actorRole: Role;
    newRole: Role | null;
  },
): Promise<MembershipChangeOutcome> {
  const { organizationId, userId, actorUserId, actorRole, newRole } = change;
  return inTransaction(sequelize, async (tx): Promise<MembershipChangeOutcome> => {
    const rows = await query<{ user_id: string; role: Role }>(
      tx,
      'SELECT user_id, role FROM memberships WHERE organization_id = $organizationId ORDER BY id FOR UPDATE',
      { organizationId },
    );
    const current = rows.find((row) => row.user_id === userId);
    if (!current) return { kind: 'missing' };
    const decision = decideMembershipChange({
      actorRole,
      self: userId === actorUserId,
      currentRole: current.role,
      newRole,
      owners: rows.filter((row) => row.role === 'owner').length,
    });
    if (!decision.allowed) return { kind: 'refused', decision };
    if (newRole === null) {
      await execute(
        tx,
        'DELETE FROM memberships WHERE organization_id = $organizationId AND user_id = $userId',
        {
          organizationId,
          userId,
        },
      );
    } else if (newRole !== current.role) {
      await execute(
        tx,
        `UPDATE memberships SET role = $newRole, updated_at = now()
         WHERE organization_id = $organizationId AND user_id = $userId`,
        { organizationId, userId, newRole },
      );
    }
    if (newRole !== current.role) {
      await recordAudit(tx, {
        actorUserId,
        action:
          newRole === null
            ? userId === actorUserId
              ? 'member.left'
              : 'member.removed'
            : 'member.role_changed',
        entityType: 'user',
        entityId: userId,
        organizationId,
        details: { previousRole: current.role, role: newRole },
      });
    }
    const member =
      newRole === null
        ? null
        : ((await queryOne<MemberListRow>(
            tx,
            `SELECT m.id, m.user_id, u.email, u.name, m.role, m.created_at, m.created_at::text AS cursor_at
               FROM memberships m JOIN users u ON u.id = m.user_id
              WHERE m.organization_id = $organizationId AND m.user_id = $userId`,
            { organizationId, userId },
          )) ?? null);
    return { kind: 'changed', previousRole: current.role, member };
  });
}

/** Every platform admin's address (emails about the platform itself, e.g. a failing exclusion list). */
export async function platformAdminEmails(db: Db): Promise<string[]> {
  const rows = await query<{ email: string }>(
    db,
    'SELECT email FROM users WHERE platform_admin ORDER BY email',
  );
  return rows.map((row) => row.email);
}
