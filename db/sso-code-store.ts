import { type Db, execute, queryOne } from './sql';

/** Every statement on `sso_codes` (docs/spec.md §11). */

export async function insertSsoCode(
  db: Db,
  code: { codeHash: Buffer; userId: string; provider: string; expiresAt: Date },
): Promise<void> {
  // Codes that ended long ago go with each new one: the table stays the size of a minute's sign-ins.
  await execute(db, "DELETE FROM sso_codes WHERE expires_at < now() - interval '1 hour'");
  await execute(
    db,
    `INSERT INTO sso_codes (code_hash, user_id, provider, expires_at)
     VALUES ($codeHash, $userId, $provider, $expiresAt)`,
    code,
  );
}

/** Spends an unexpired, unused code in one statement (two exchanges cannot both win); its user. */
export async function useSsoCode(db: Db, codeHash: Buffer): Promise<string | undefined> {
  const row = await queryOne<{ user_id: string }>(
    db,
    `UPDATE sso_codes SET used_at = now()
      WHERE code_hash = $codeHash AND used_at IS NULL AND expires_at > now()
      RETURNING user_id`,
    { codeHash },
  );
  return row?.user_id;
}
