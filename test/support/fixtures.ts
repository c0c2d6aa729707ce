import { randomUUID } from 'node:crypto';
import { User } from '../../db/models';
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
