import { hashPassword } from '../lib/passwords';
import { User } from './models';

/** Creates the platform admin if no user has that email; an existing account is never overwritten. */
export async function ensureBootstrapAdmin(email: string, password: string): Promise<'created' | 'exists'> {
  const normalized = email.toLowerCase();
  if (await User.findOne({ where: { email: normalized }, attributes: ['id'] })) return 'exists';
  const [, created] = await User.findOrCreate({
    where: { email: normalized },
    defaults: {
      email: normalized,
      name: 'Platform admin',
      passwordHash: await hashPassword(password),
      platformAdmin: true,
    },
  });
  return created ? 'created' : 'exists';
}
