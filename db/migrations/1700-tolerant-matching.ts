import type { Migration } from '../migrator';
import { loadNicknames, readShippedNicknames } from '../nickname-store';

/**
 * Tolerant matching (docs/spec.md §9, replacing the tiers of §4.5).
 * - `employees.other_names`: a person's other names (maiden, former, AKA) as given;
 *   `ale_split_names` turns a roster cell (`;` or `|` between names) into that list.
 * - `ale_match_names(first_norm, middle, last_norm, others)`: every name of a person or list record as
 *   entries `LAST|FIRST|M|K` (M the middle initial or empty, K `P` for the primary name, `A` for an
 *   other name or alias), one per part of a hyphenated last name (§4.5: either part matches). Other
 *   names are full names, `FIRST [MIDDLE] LAST` or `LAST, FIRST [MIDDLE]`; a single word is a last
 *   name taken with the primary first name (a maiden name). A part that is empty, only punctuation
 *   or only a generational suffix is no name, so such names never match anything; nor is a part of
 *   more than 100 characters (no person's name is that long; it is bad input, and no index entry
 *   may outgrow its page).
 * - `match_names`, a stored generated column of it on employees, the LEIE and the generic records:
 *   keys computed once at write time, not by every screening. `ale_name_keys(match_names)` (the
 *   distinct `LAST|FIRST`) is GIN-indexed on each side, and the DOB b-tree-indexed, so a few people
 *   find their candidate records (and a few new records their people) through indexes; full
 *   rescreens hash-join the unnested entries instead.
 * - `ale_one_edit(a, b)`: one insert, delete, substitution or swap of neighbours apart (optimal string
 *   alignment distance 1); only ever called on pairs already sharing DOB and first name, so plain
 *   PL/pgSQL is enough (no fuzzystrmatch: its levenshtein counts a swap as two edits).
 * - `ale_day_month_swapped(dob)`: the date with day and month exchanged, null when that is no
 *   other valid date.
 * - `name_nicknames`: the nickname table (data/nicknames/names.csv), both directions, normalized;
 *   a malformed line is skipped and counted.
 * - `exclusion_matches.reason` gains `alias_dob`, `nickname_dob`, `fuzzy_dob`; `explanation` holds
 *   which names and fields agreed (domain/match-reasons.ts).
 */
export const up: Migration = async ({ context: sql }) => {
  await sql.query(`
CREATE OR REPLACE FUNCTION ale_match_part(part text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT CASE WHEN part IS NULL OR btrim(part, ' -') = '' OR btrim(part, ' -') IN ('JR','SR','II','III','IV')
      OR char_length(part) > 100
    THEN NULL ELSE btrim(part, ' -') END
$fn$;

CREATE OR REPLACE FUNCTION ale_match_names(first_norm text, middle text, last_norm text, others text[])
RETURNS text[] LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $fn$
DECLARE
  names text[] := '{}';
  f text := ale_match_part(replace(first_norm, '-', ' '));
  l text := ale_match_part(last_norm);
  mi text := coalesce(left(ale_normalize_name(middle), 1), '');
  other text;
  tokens text[];
  o_first text;
  o_last text;
  o_mi text;
  kind text;
  part text;
  comma int;
  n int;
BEGIN
  IF f IS NOT NULL AND l IS NOT NULL THEN
    FOREACH part IN ARRAY string_to_array(l, '-') LOOP
      IF ale_match_part(part) IS NOT NULL THEN
        names := names || (ale_match_part(part) || '|' || f || '|' || mi || '|P');
      END IF;
    END LOOP;
  END IF;
  IF others IS NULL OR cardinality(others) = 0 THEN
    RETURN names;
  END IF;
  FOREACH other IN ARRAY others LOOP
    CONTINUE WHEN other IS NULL;
    comma := strpos(other, ',');
    IF comma > 0 THEN
      o_last := ale_match_part(ale_normalize_name(left(other, comma - 1)));
      tokens := string_to_array(ale_normalize_name(substr(other, comma + 1)), ' ');
      o_first := ale_match_part(replace(tokens[1], '-', ' '));
      o_mi := coalesce(left(tokens[2], 1), '');
    ELSE
      tokens := string_to_array(ale_normalize_name(other), ' ');
      n := coalesce(cardinality(tokens), 0);
      CONTINUE WHEN n = 0;
      IF n = 1 THEN
        o_first := f;
        o_last := ale_match_part(tokens[1]);
        o_mi := mi;
      ELSE
        o_first := ale_match_part(replace(tokens[1], '-', ' '));
        o_last := ale_match_part(tokens[n]);
        o_mi := CASE WHEN n > 2 THEN left(tokens[2], 1) ELSE '' END;
      END IF;
    END IF;
    CONTINUE WHEN o_first IS NULL OR o_last IS NULL;
    FOREACH part IN ARRAY string_to_array(o_last, '-') LOOP
      IF ale_match_part(part) IS NOT NULL THEN
        names := names || (ale_match_part(part) || '|' || o_first || '|' || o_mi || '|A');
      END IF;
    END LOOP;
  END LOOP;
  RETURN names;
END
$fn$;

CREATE OR REPLACE FUNCTION ale_name_keys(match_names text[]) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT ARRAY(SELECT DISTINCT split_part(k, '|', 1) || '|' || split_part(k, '|', 2) FROM unnest(match_names) k)
$fn$;

CREATE OR REPLACE FUNCTION ale_one_edit(a text, b text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $fn$
DECLARE
  s text;
  t text;
  i int := 1;
BEGIN
  IF a IS NULL OR b IS NULL OR a = b OR abs(char_length(a) - char_length(b)) > 1 THEN
    RETURN false;
  END IF;
  IF char_length(a) <= char_length(b) THEN s := a; t := b; ELSE s := b; t := a; END IF;
  WHILE i <= char_length(s) AND substr(s, i, 1) = substr(t, i, 1) LOOP
    i := i + 1;
  END LOOP;
  IF char_length(s) = char_length(t) THEN
    RETURN substr(s, i + 1) = substr(t, i + 1)
      OR (substr(s, i, 1) = substr(t, i + 1, 1) AND substr(s, i + 1, 1) = substr(t, i, 1)
          AND substr(s, i + 2) = substr(t, i + 2));
  END IF;
  RETURN substr(s, i) = substr(t, i + 1);
END
$fn$;

-- A roster cell or API list of other names, as stored: split on ; or |, trimmed, empty pieces dropped.
CREATE OR REPLACE FUNCTION ale_split_names(value text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT ARRAY(SELECT btrim(p) FROM regexp_split_to_table(coalesce(value, ''), '[;|]') AS p WHERE btrim(p) <> '')
$fn$;

CREATE OR REPLACE FUNCTION ale_day_month_swapped(dob date) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT CASE WHEN extract(day FROM dob) <= 12 AND extract(day FROM dob) <> extract(month FROM dob)
    THEN make_date(extract(year FROM dob)::int, extract(day FROM dob)::int, extract(month FROM dob)::int) END
$fn$;

ALTER TABLE employees ADD COLUMN other_names text[] NOT NULL DEFAULT '{}';
ALTER TABLE employees ADD COLUMN match_names text[]
  GENERATED ALWAYS AS (ale_match_names(first_name_norm, middle_name, last_name_norm, other_names)) STORED;
ALTER TABLE oig_employees_exclusion ADD COLUMN match_names text[]
  GENERATED ALWAYS AS (ale_match_names(first_name_norm, midname, last_name_norm, '{}'::text[])) STORED;
ALTER TABLE exclusion_source_records ADD COLUMN match_names text[]
  GENERATED ALWAYS AS (ale_match_names(first_name_norm, middle_name, last_name_norm, aliases)) STORED;

DROP INDEX IF EXISTS employees_name_match_keys_idx;
CREATE INDEX employees_match_name_keys_idx ON employees USING gin (ale_name_keys(match_names))
  WITH (fastupdate = off) WHERE status = 'active';
CREATE INDEX employees_active_dob_idx ON employees (date_of_birth) WHERE status = 'active';
CREATE INDEX oig_employees_exclusion_match_name_keys_idx ON oig_employees_exclusion
  USING gin (ale_name_keys(match_names)) WITH (fastupdate = off);
CREATE INDEX oig_employees_exclusion_dob_idx ON oig_employees_exclusion (dob);
CREATE INDEX exclusion_source_records_match_name_keys_idx ON exclusion_source_records
  USING gin (ale_name_keys(match_names)) WITH (fastupdate = off);
CREATE INDEX exclusion_source_records_dob_idx ON exclusion_source_records (dob) WHERE dob IS NOT NULL;

CREATE TABLE name_nicknames (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL,
  nickname text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (name, nickname)
);

ALTER TABLE exclusion_matches DROP CONSTRAINT exclusion_matches_reason_check;
ALTER TABLE exclusion_matches ADD CONSTRAINT exclusion_matches_reason_check
  CHECK (reason IN ('npi','name_dob','alias_dob','nickname_dob','fuzzy_dob','name'));
ALTER TABLE exclusion_matches ADD COLUMN explanation jsonb;
`);
  await loadNicknames(sql, readShippedNicknames());
};

export const down: Migration = async ({ context: sql }) => {
  await sql.query(`
ALTER TABLE exclusion_matches DROP COLUMN IF EXISTS explanation;
DELETE FROM exclusion_matches WHERE reason IN ('alias_dob','nickname_dob','fuzzy_dob');
ALTER TABLE exclusion_matches DROP CONSTRAINT IF EXISTS exclusion_matches_reason_check;
ALTER TABLE exclusion_matches ADD CONSTRAINT exclusion_matches_reason_check
  CHECK (reason IN ('npi','name_dob','name'));
DROP TABLE IF EXISTS name_nicknames;
DROP INDEX IF EXISTS exclusion_source_records_dob_idx;
DROP INDEX IF EXISTS exclusion_source_records_match_name_keys_idx;
DROP INDEX IF EXISTS oig_employees_exclusion_dob_idx;
DROP INDEX IF EXISTS oig_employees_exclusion_match_name_keys_idx;
DROP INDEX IF EXISTS employees_active_dob_idx;
DROP INDEX IF EXISTS employees_match_name_keys_idx;
CREATE INDEX IF NOT EXISTS employees_name_match_keys_idx ON employees
  USING gin (ale_name_match_keys(last_name_norm, first_name_norm)) WITH (fastupdate = off)
  WHERE status = 'active';
ALTER TABLE exclusion_source_records DROP COLUMN IF EXISTS match_names;
ALTER TABLE oig_employees_exclusion DROP COLUMN IF EXISTS match_names;
ALTER TABLE employees DROP COLUMN IF EXISTS match_names;
ALTER TABLE employees DROP COLUMN IF EXISTS other_names;
DROP FUNCTION IF EXISTS ale_day_month_swapped(date);
DROP FUNCTION IF EXISTS ale_split_names(text);
DROP FUNCTION IF EXISTS ale_one_edit(text, text);
DROP FUNCTION IF EXISTS ale_name_keys(text[]);
DROP FUNCTION IF EXISTS ale_match_names(text, text, text, text[]);
DROP FUNCTION IF EXISTS ale_match_part(text);
`);
};
