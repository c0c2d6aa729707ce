import type { Migration } from '../migrator';

/**
 * `idempotency_keys` (docs/spec.md §12): a creating POST with an `Idempotency-Key` header answers a
 * repeat of the same key and body within 24 h with its first response, and the same key with
 * another body with 422. Kept in Postgres so every API replica honours it. Keys are per user;
 * `fingerprint` is a sha256 of the method, path, query and body (never the body itself);
 * `response_status` is null while the first request is still being handled.
 */
export const up: Migration = async ({ context: sql }) => {
  await sql.query(`
CREATE TABLE idempotency_keys (
  user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  key text NOT NULL,
  fingerprint text NOT NULL,
  response_status integer,
  response_body jsonb,
  response_location text,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
`);
};

export const down: Migration = async ({ context: sql }) => {
  await sql.query('DROP TABLE IF EXISTS idempotency_keys;');
};
