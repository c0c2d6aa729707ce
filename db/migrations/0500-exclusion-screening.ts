import type { Migration } from '../migrator';

/**
 * Exclusion screening (docs/spec.md §4.5).
 * - `ale_name_match_keys(last_norm, first_norm)`: the keys a person is matched on by name, one per part of
 *   a hyphenated last name ("SMITH-JONES", "MARY" → {SMITH|MARY, JONES|MARY}), so either part matches.
 *   Hyphens inside first names count as spaces (MARY-ANN = MARY ANN). No key without both names.
 * - A GIN index on the employees' keys lets an OIG import's few new rows probe the roster without a
 *   scan; full rescreens hash-join the unnested keys of both sides instead (no index on the LEIE
 *   side, so OIG loads stay cheap). fastupdate is off: with a pending list, every probe after a
 *   bulk roster import would scan the whole pending list.
 * - `exclusion_matches.alerted_at`: when the organization's admins were told about the open match,
 *   so every new match is alerted exactly once even across failed runs.
 */
export const up: Migration = async ({ context: sql }) => {
  await sql.query(`
-- One expression (no subquery), so Postgres inlines it: 'SMITH-JONES','MARY' → 'SMITH|MARY-JONES|MARY' → split.
CREATE OR REPLACE FUNCTION ale_name_match_keys(last_norm text, first_norm text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT CASE WHEN last_norm IS NULL OR first_norm IS NULL THEN '{}'::text[] ELSE string_to_array(
    replace(last_norm, '-', '|' || replace(first_norm, '-', ' ') || '-') || '|' || replace(first_norm, '-', ' '),
    '-') END
$fn$;

CREATE INDEX employees_name_match_keys_idx ON employees
  USING gin (ale_name_match_keys(last_name_norm, first_name_norm)) WITH (fastupdate = off)
  WHERE status = 'active';

ALTER TABLE exclusion_matches ADD COLUMN alerted_at timestamptz;
CREATE INDEX exclusion_matches_unalerted_idx ON exclusion_matches (organization_id)
  WHERE status = 'open' AND alerted_at IS NULL;
CREATE INDEX exclusion_matches_org_detected_idx
  ON exclusion_matches (organization_id, first_detected_at DESC, id DESC);
`);
};

export const down: Migration = async ({ context: sql }) => {
  await sql.query(`
DROP INDEX IF EXISTS exclusion_matches_org_detected_idx;
DROP INDEX IF EXISTS exclusion_matches_unalerted_idx;
ALTER TABLE exclusion_matches DROP COLUMN IF EXISTS alerted_at;
DROP INDEX IF EXISTS employees_name_match_keys_idx;
DROP FUNCTION IF EXISTS ale_name_match_keys(text, text);
`);
};
