import type { Sequelize } from 'sequelize';
import { type Db, execute, inTransaction, query, queryOne } from './sql';

/**
 * Every statement on `sessions` and `refresh_tokens` (docs/spec.md §11). The per-request check that
 * a token's session is still open is part of the authorization read in user-store.ts, so it costs
 * no extra round trip.
 */

export type SessionMethod = 'password' | 'invitation' | 'sso';
export type RevokeReason = 'logout' | 'refresh_reuse' | 'password_reset' | 'password_change';

/** A new open session of the user; its id. */
export async function insertSession(db: Db, userId: string, method: SessionMethod): Promise<string> {
  const row = await queryOne<{ id: string }>(
    db,
    'INSERT INTO sessions (user_id, method) VALUES ($userId, $method) RETURNING id',
    { userId, method },
  );
  return (row as { id: string }).id;
}

/**
 * Housekeeping at each login, a bounded batch: refresh tokens that expired (spent ones are kept
 * until then, so one presented again is still recognised) once no access token handed out with them
 * can be valid either (`accessTokenSeconds`), and with its last such token the session — ended or
 * abandoned, it can no longer be used.
 */
export async function forgetExpiredSessions(db: Db, accessTokenSeconds: number): Promise<void> {
  await execute(
    db,
    `WITH expired AS (
       DELETE FROM refresh_tokens WHERE token_hash IN (
         SELECT token_hash FROM refresh_tokens
         WHERE expires_at < now() AND created_at < now() - make_interval(secs => $accessTokenSeconds)
         LIMIT 100)
       RETURNING session_id, token_hash)
     DELETE FROM sessions s WHERE s.id IN (SELECT session_id FROM expired)
       AND NOT EXISTS (
         SELECT 1 FROM refresh_tokens t
         WHERE t.session_id = s.id AND t.token_hash NOT IN (SELECT token_hash FROM expired))`,
    { accessTokenSeconds },
  );
}

/** Stores the hash of a refresh token handed to the session. */
export async function insertRefreshToken(
  db: Db,
  token: { sessionId: string; tokenHash: Buffer; expiresAt: Date },
): Promise<void> {
  await execute(
    db,
    `INSERT INTO refresh_tokens (token_hash, session_id, expires_at)
     VALUES ($tokenHash, $sessionId, $expiresAt)`,
    token,
  );
}

export type RotateOutcome =
  | { kind: 'rotated'; sessionId: string; userId: string }
  | { kind: 'reused' | 'expired' | 'ended' | 'unknown' };

interface RefreshRow {
  session_id: string;
  user_id: string;
  expires_at: Date;
  used_at: Date | null;
  revoked_at: Date | null;
}

/**
 * Spends the refresh token of `tokenHash` and stores `next` in its place, in one transaction with
 * the token and its session locked (two concurrent refreshes of one token cannot both win). A token
 * already spent revokes its whole session: someone holds a copy (docs/spec.md §11). The outcome is
 * returned rather than thrown so that revocation commits.
 */
export function rotateRefreshToken(
  sequelize: Sequelize,
  tokenHash: Buffer,
  next: { tokenHash: Buffer; expiresAt: Date },
): Promise<RotateOutcome> {
  return inTransaction(sequelize, async (tx): Promise<RotateOutcome> => {
    const row = await queryOne<RefreshRow>(
      tx,
      `SELECT r.session_id, s.user_id, r.expires_at, r.used_at, s.revoked_at
         FROM refresh_tokens r JOIN sessions s ON s.id = r.session_id
        WHERE r.token_hash = $tokenHash
        FOR UPDATE OF r, s`,
      { tokenHash },
    );
    if (!row) return { kind: 'unknown' };
    if (row.revoked_at) return { kind: 'ended' };
    if (row.used_at) {
      await revokeSession(tx, row.session_id, 'refresh_reuse');
      return { kind: 'reused' };
    }
    if (row.expires_at.getTime() <= Date.now()) return { kind: 'expired' };
    await execute(tx, 'UPDATE refresh_tokens SET used_at = now() WHERE token_hash = $tokenHash', {
      tokenHash,
    });
    await insertRefreshToken(tx, { sessionId: row.session_id, ...next });
    await execute(tx, 'UPDATE sessions SET updated_at = now() WHERE id = $id', { id: row.session_id });
    return { kind: 'rotated', sessionId: row.session_id, userId: row.user_id };
  });
}

/** Ends an open session; whether it was open. */
export async function revokeSession(db: Db, sessionId: string, reason: RevokeReason): Promise<boolean> {
  const ended = await execute(
    db,
    `UPDATE sessions SET revoked_at = now(), revoked_reason = $reason, updated_at = now()
      WHERE id = $sessionId AND revoked_at IS NULL`,
    { sessionId, reason },
  );
  return ended > 0;
}

/** Ends every open session of the user but `keepSessionId` (null: all); how many it ended. */
export function revokeUserSessions(
  db: Db,
  userId: string,
  reason: RevokeReason,
  keepSessionId: string | null,
): Promise<number> {
  return execute(
    db,
    `UPDATE sessions SET revoked_at = now(), revoked_reason = $reason, updated_at = now()
      WHERE user_id = $userId AND revoked_at IS NULL
        AND ($keep::uuid IS NULL OR id <> $keep::uuid)`,
    { userId, reason, keep: keepSessionId },
  );
}

/** Which of these sessions are still open (services/live-events.ts ends the streams of the others). */
export async function openSessionIds(db: Db, sessionIds: readonly string[]): Promise<Set<string>> {
  const rows = await query<{ id: string }>(
    db,
    'SELECT id FROM sessions WHERE id = ANY($ids::uuid[]) AND revoked_at IS NULL',
    { ids: [...sessionIds] },
  );
  return new Set(rows.map((row) => row.id));
}

/** Whether the session exists and is open (for tests and the logout answer). */
export async function isSessionOpen(db: Db, sessionId: string): Promise<boolean> {
  const row = await queryOne(db, 'SELECT 1 FROM sessions WHERE id = $sessionId AND revoked_at IS NULL', {
    sessionId,
  });
  return row !== undefined;
}
