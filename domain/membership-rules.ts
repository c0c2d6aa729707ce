/**
 * Who may change or end a membership (docs/spec.md §10). Pure rules; db/user-store.ts applies them
 * with the organization's owners locked, so two owners cannot demote each other at once.
 */

export type MemberRole = 'owner' | 'admin' | 'member';

const RANK: Record<MemberRole, number> = { member: 1, admin: 2, owner: 3 };

export interface MembershipChange {
  /** The caller's role in the organization (platform admins act as owners). */
  actorRole: MemberRole;
  /** Whether the caller changes their own membership. */
  self: boolean;
  /** The member's current role. */
  currentRole: MemberRole;
  /** The new role, or null to remove the member. */
  newRole: MemberRole | null;
  /** How many owners the organization has now. */
  owners: number;
}

export type MembershipDecision =
  | { allowed: true }
  | { allowed: false; kind: 'forbidden' | 'conflict'; reason: string };

const forbidden = (reason: string): MembershipDecision => ({ allowed: false, kind: 'forbidden', reason });

/**
 * Org admins change roles and remove members; only an owner grants `owner` or changes or removes an
 * owner; anyone may leave; the last owner can be neither demoted nor removed (a conflict with the
 * organization's state, not a permission).
 */
export function decideMembershipChange(change: MembershipChange): MembershipDecision {
  const { actorRole, self, currentRole, newRole, owners } = change;
  const leaving = self && newRole === null;
  if (!leaving && RANK[actorRole] < RANK.admin) {
    return forbidden(
      newRole === null
        ? 'Removing another member needs the admin role; a member may only leave.'
        : 'Changing a role needs the admin role.',
    );
  }
  const touchesOwner = currentRole === 'owner' || newRole === 'owner';
  if (!leaving && touchesOwner && actorRole !== 'owner') {
    return forbidden('Only an owner grants the owner role or changes or removes an owner.');
  }
  if (currentRole === 'owner' && newRole !== 'owner' && owners <= 1) {
    return {
      allowed: false,
      kind: 'conflict',
      reason:
        newRole === null
          ? 'The last owner cannot be removed; make another member owner first.'
          : 'The last owner cannot be demoted; make another member owner first.',
    };
  }
  return { allowed: true };
}
