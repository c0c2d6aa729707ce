import type { Sequelize } from 'sequelize';
import { changeMembership, type MemberListRow, type Role } from '../db/user-store';
import { ConflictError, ForbiddenError, NotFoundError } from '../domain/errors';

/**
 * Member administration (docs/spec.md §10): change a member's role or remove them (a member may
 * leave). 404 for a user who is not a member, 403 for what the caller's role does not allow, 409 for
 * the last owner. Access is read from the memberships on every request (api/middleware/
 * organization-access.ts), so a removed member's next request is refused.
 */
export async function changeMemberRole(
  sequelize: Sequelize,
  change: { organizationId: string; userId: string; actorUserId: string; actorRole: Role; role: Role },
): Promise<MemberListRow> {
  const outcome = await changeMembership(sequelize, { ...change, newRole: change.role });
  const member = settled(outcome, change.userId);
  if (!member) throw new Error('a role change returned no member');
  return member;
}

export async function removeMember(
  sequelize: Sequelize,
  change: { organizationId: string; userId: string; actorUserId: string; actorRole: Role },
): Promise<void> {
  // Before looking the user up: a plain member learns nothing about other members' ids.
  if (change.userId !== change.actorUserId && change.actorRole === 'member') {
    throw new ForbiddenError('Removing another member needs the admin role; a member may only leave.');
  }
  settled(await changeMembership(sequelize, { ...change, newRole: null }), change.userId);
}

function settled(
  outcome: Awaited<ReturnType<typeof changeMembership>>,
  userId: string,
): MemberListRow | null {
  switch (outcome.kind) {
    case 'missing':
      throw new NotFoundError(`User ${userId} is not a member of this organization.`);
    case 'refused':
      throw outcome.decision.kind === 'conflict'
        ? new ConflictError(outcome.decision.reason)
        : new ForbiddenError(outcome.decision.reason);
    case 'changed':
      return outcome.member;
  }
}
