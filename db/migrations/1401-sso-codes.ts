import type { Migration } from '../migrator';

/**
 * `sso_codes` (docs/spec.md §11): the one-time code a single-sign-on callback hands the web app,
 * which `POST /v1/auth/sso/exchange` turns into a token pair. Only its SHA-256 is stored; it lives
 * 60 seconds and works once.
 */
export const up: Migration = async ({ context: sql }) => {
  await sql.query(`
CREATE TABLE sso_codes (
  code_hash bytea PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  provider text NOT NULL,
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sso_codes_expires_idx ON sso_codes (expires_at);
`);
};

export const down: Migration = async ({ context: sql }) => {
  await sql.query('DROP TABLE IF EXISTS sso_codes;');
};
