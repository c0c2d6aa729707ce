import type { Migration } from '../migrator';

/**
 * Sessions and sign-in (docs/spec.md §11).
 * - `sessions`: one per login (or invitation accept, or SSO exchange). Access tokens carry its id
 *   (`sid`) and every authenticated request reads it beside the user, so ending a session
 *   (`revoked_at`) stops its tokens on every replica at the next request.
 * - `refresh_tokens`: the SHA-256 of each opaque refresh token a session was given. A token is
 *   used once (`used_at`); presenting a used one again revokes the whole session.
 * - `password_resets`: one row per reset email; the link's token is derived from the row id with
 *   the server secret (lib/reset-tokens.ts), so only its id is stored. Used once.
 * - `rate_limits`: the counters rate-limiter-flexible keeps for every replica (its own layout:
 *   key, points, expire in epoch milliseconds).
 */
export const up: Migration = async ({ context: sql }) => {
  await sql.query(`
CREATE TABLE sessions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  method text NOT NULL CHECK (method IN ('password','invitation','sso')),
  revoked_at timestamptz,
  revoked_reason text CHECK (revoked_reason IN ('logout','refresh_reuse','password_reset','password_change')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sessions_user_open_idx ON sessions (user_id) WHERE revoked_at IS NULL;

CREATE TABLE refresh_tokens (
  token_hash bytea PRIMARY KEY,
  session_id uuid NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id);
CREATE INDEX refresh_tokens_expires_idx ON refresh_tokens (expires_at);

CREATE TABLE password_resets (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX password_resets_user_idx ON password_resets (user_id);

CREATE TABLE rate_limits (
  key varchar(255) PRIMARY KEY,
  points integer NOT NULL DEFAULT 0,
  expire bigint
);
`);
};

export const down: Migration = async ({ context: sql }) => {
  await sql.query(`
DROP TABLE IF EXISTS rate_limits;
DROP TABLE IF EXISTS password_resets;
DROP TABLE IF EXISTS refresh_tokens;
DROP TABLE IF EXISTS sessions;
`);
};
