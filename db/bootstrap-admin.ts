import { hashPassword } from '../lib/passwords';
import type { Db } from './sql';
import { findUserByEmail, insertUserIfAbsent } from './user-store';

/** Creates the platform admin if no user has that email; an existing account is never overwritten. */
export async function ensureBootstrapAdmin(
  db: Db,
  email: string,
  password: string,
): Promise<'created' | 'exists'> {
  const normalized = email.toLowerCase();
  if (await findUserByEmail(db, normalized)) return 'exists';
  const created = await insertUserIfAbsent(db, {
    email: normalized,
    name: 'Platform admin',
    password_hash: await hashPassword(password),
    platform_admin: true,
  });
  return created ? 'created' : 'exists';
}
