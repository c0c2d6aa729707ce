import { type Db, execute, queryOne } from './sql';

/** Every statement on `idempotency_keys` (docs/spec.md §12): the first response of a creating POST per key. */

export interface IdempotencyKeyRow {
  fingerprint: string;
  response_status: number | null;
  response_body: unknown;
  response_location: string | null;
}

/** How long a key answers with its first response. */
const KEPT = "interval '24 hours'";

/**
 * Claims `key` for this user and request; undefined when claimed now, else the row that holds it
 * (its first request's fingerprint and, once answered, its response). A key older than 24 h is
 * forgotten first.
 */
export async function claimIdempotencyKey(
  db: Db,
  claim: { userId: string; key: string; fingerprint: string },
): Promise<IdempotencyKeyRow | undefined> {
  await execute(
    db,
    `DELETE FROM idempotency_keys WHERE user_id = $userId AND key = $key AND created_at < now() - ${KEPT}`,
    { userId: claim.userId, key: claim.key },
  );
  const claimed = await queryOne<{ key: string }>(
    db,
    `INSERT INTO idempotency_keys (user_id, key, fingerprint) VALUES ($userId, $key, $fingerprint)
     ON CONFLICT (user_id, key) DO NOTHING RETURNING key`,
    claim,
  );
  if (claimed) return undefined;
  return queryOne<IdempotencyKeyRow>(
    db,
    `SELECT fingerprint, response_status, response_body, response_location FROM idempotency_keys
     WHERE user_id = $userId AND key = $key`,
    { userId: claim.userId, key: claim.key },
  );
}

/** The first request succeeded: later ones with the key get this response. */
export async function saveIdempotentResponse(
  db: Db,
  response: { userId: string; key: string; status: number; body: unknown; location: string | null },
): Promise<void> {
  await execute(
    db,
    `UPDATE idempotency_keys SET response_status = $status, response_body = $body::jsonb, response_location = $location
     WHERE user_id = $userId AND key = $key`,
    {
      userId: response.userId,
      key: response.key,
      status: response.status,
      body: JSON.stringify(response.body),
      location: response.location,
    },
  );
}

/** The first request failed: the key is free again, so the client may retry with it. */
export async function releaseIdempotencyKey(db: Db, userId: string, key: string): Promise<void> {
  await execute(
    db,
    'DELETE FROM idempotency_keys WHERE user_id = $userId AND key = $key AND response_status IS NULL',
    { userId, key },
  );
}

/** Forgets keys past their 24 h; returns how many. */
export function purgeIdempotencyKeys(db: Db): Promise<number> {
  return execute(db, `DELETE FROM idempotency_keys WHERE created_at < now() - ${KEPT}`);
}
