import { randomUUID } from 'node:crypto';
import { Membership, Organization, type Role, User } from '../../db/models';
import { hashPassword } from '../../lib/passwords';
import { signAccessToken } from '../../lib/tokens';
import { stack } from './stack';

export const TEST_PASSWORD = 'correct horse battery staple';

export async function createUser(options: { platformAdmin?: boolean; email?: string } = {}) {
  const user = await User.create({
    email: options.email ?? `user-${randomUUID()}@example.test`,
    name: 'Test User',
    passwordHash: await hashPassword(TEST_PASSWORD),
    platformAdmin: options.platformAdmin ?? false,
  });
  const token = await signAccessToken(
    { userId: user.id },
    { secret: stack().config.AUTH_JWT_SECRET, expiresInSeconds: 600 },
  );
  return { user, token };
}

/** An active organization inserted directly (no provisioning workflow), for tests of other features. */
export async function createOrganization(name = 'Test Agency') {
  const suffix = randomUUID().slice(0, 8);
  return Organization.create({ name, subdomain: `org-${suffix}`, status: 'active', dnsStatus: 'in_sync' });
}

/** A user holding `role` in `organizationId`, with an access token. */
export async function createMember(organizationId: string, role: Role) {
  const member = await createUser();
  await Membership.create({ organizationId, userId: member.user.id, role });
  return member;
}
