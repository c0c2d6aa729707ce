import assert from 'node:assert/strict';
import { decideMembershipChange, type MemberRole } from '../../domain/membership-rules';

type Row = [
  actor: MemberRole,
  self: boolean,
  current: MemberRole,
  next: MemberRole | null,
  owners: number,
  outcome: string,
];

// docs/spec.md §10: admins administer members, only owners touch owner, anyone leaves, the last owner stays.
const TABLE: Row[] = [
  ['admin', false, 'member', 'admin', 1, 'allowed'],
  ['admin', false, 'admin', 'member', 1, 'allowed'],
  ['admin', true, 'admin', 'member', 1, 'allowed'],
  ['admin', false, 'member', 'owner', 1, 'forbidden'],
  ['admin', false, 'owner', 'admin', 2, 'forbidden'],
  ['admin', false, 'owner', null, 2, 'forbidden'],
  ['admin', false, 'member', null, 1, 'allowed'],
  ['member', false, 'member', null, 1, 'forbidden'],
  ['member', false, 'member', 'admin', 1, 'forbidden'],
  ['member', true, 'member', 'admin', 1, 'forbidden'],
  ['member', true, 'member', null, 1, 'allowed'],
  ['admin', true, 'admin', null, 1, 'allowed'],
  ['owner', false, 'admin', 'owner', 1, 'allowed'],
  ['owner', false, 'owner', 'member', 2, 'allowed'],
  ['owner', true, 'owner', 'admin', 2, 'allowed'],
  ['owner', true, 'owner', 'admin', 1, 'conflict'],
  ['owner', true, 'owner', null, 1, 'conflict'],
  ['owner', true, 'owner', null, 2, 'allowed'],
  ['owner', false, 'owner', null, 1, 'conflict'],
  ['owner', true, 'owner', 'owner', 1, 'allowed'],
];

describe('membership rules (domain/membership-rules.ts)', () => {
  for (const [actorRole, self, currentRole, newRole, owners, outcome] of TABLE) {
    it(`${actorRole}${self ? ' (self)' : ''}: ${currentRole} → ${newRole ?? 'removed'} with ${owners} owner(s) is ${outcome}`, () => {
      const decision = decideMembershipChange({ actorRole, self, currentRole, newRole, owners });
      assert.equal(decision.allowed ? 'allowed' : decision.kind, outcome);
    });
  }
});
