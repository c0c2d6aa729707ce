import type { Sequelize } from 'sequelize';
import { revokeUserSessions } from './session-store';
import { type Db, execute, inTransaction, queryOne } from './sql';
import { updatePasswordHash } from './user-store';

/** Every statement on `password_resets` (docs/spec.md §11). */

export interface PasswordResetRow {
  id: string;
  user_id: string;
  expires_at: Date;
  used_at: Date | null;
  created_at: Date;
}

/** The reset as its email needs it: the address it goes to. */
export interface PasswordResetEmailRow extends PasswordResetRow {
  email: string;
}

export async function insertPasswordReset(
  db: Db,
  userId: string,
  expiresAt: Date,
): Promise<PasswordResetRow> {
  const row = await queryOne<PasswordResetRow>(
    db,
    `INSERT INTO password_resets (user_id, expires_at) VALUES ($userId, $expiresAt)
     RETURNING id, user_id, expires_at, used_at, created_at`,
    { userId, expiresAt },
  );
  return row as PasswordResetRow;
}

export function findPasswordResetForEmail(db: Db, id: string): Promise<PasswordResetEmailRow | undefined> {
  return queryOne<PasswordResetEmailRow>(
    db,
    `SELECT r.id, r.user_id, r.expires_at, r.used_at, r.created_at, u.email
       FROM password_resets r JOIN users u ON u.id = r.user_id
      WHERE r.id = $id`,
    { id },
  );
}

export type ResetOutcome = 'done' | 'used' | 'expired' | 'unknown';

/**
 * Uses the reset: in one transaction with its row locked (two confirms of one link cannot both
 * win), sets the new password hash, spends every open reset of the user, and ends every session of
 * the user. `passwordHash` is computed before (scrypt must not hold the lock).
 */
export function completePasswordReset(
  sequelize: Sequelize,
  id: string,
  passwordHash: string,
): Promise<ResetOutcome> {
  return inTransaction(sequelize, async (tx): Promise<ResetOutcome> => {
    const row = await queryOne<PasswordResetRow>(
      tx,
      'SELECT id, user_id, expires_at, used_at, created_at FROM password_resets WHERE id = $id FOR UPDATE',
      { id },
    );
    if (!row) return 'unknown';
    if (row.used_at) return 'used';
    if (row.expires_at.getTime() <= Date.now()) return 'expired';
    await spendUserResets(tx, row.user_id);
    await updatePasswordHash(tx, row.user_id, passwordHash);
    await revokeUserSessions(tx, row.user_id, 'password_reset', null);
    return 'done';
  });
}

/**
 * A password change by its owner: in one transaction the new hash, every open reset spent (an older
 * link must not undo the change) and every session but `keepSessionId` ended.
 */
export function changeUserPassword(
  sequelize: Sequelize,
  userId: string,
  passwordHash: string,
  keepSessionId: string,
): Promise<void> {
  return inTransaction(sequelize, async (tx) => {
    await updatePasswordHash(tx, userId, passwordHash);
    await spendUserResets(tx, userId);
    await revokeUserSessions(tx, userId, 'password_change', keepSessionId);
  });
}

/** Marks every open reset of the user used (a new password makes older links pointless). */
export function spendUserResets(db: Db, userId: string): Promise<number> {
  return execute(
    db,
    'UPDATE password_resets SET used_at = now() WHERE user_id = $userId AND used_at IS NULL',
    {
      userId,
    },
  );
}
