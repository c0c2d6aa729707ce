import type { Migration } from '../migrator';

/**
 * `ale_normalize_name` tests for a name suffix with `strpos` instead of a regular expression. Every
 * roster row calls it three times, and the `~ ' (JR|SR|…)'` guard of migration 0800 was the costliest
 * step: Postgres builds the alternation's DFA states anew on every call (the largest single step of a
 * roster batch's Postgres work in callgrind). A suffix needs a space in front, so single-word names (the
 * first and last names) stop at one `strpos`. The guard only decides whether the suffix pass runs;
 * the pass itself and every other step are those of 0800, so the result is the same for every input
 * (test/db/normalize-name.test.ts compares it with the original definition on generated names).
 */
export const up: Migration = async ({ context: sql }) => {
  await sql.query(
    normalizeNameSql(
      `strpos(name, ' ') > 0 AND (strpos(name, ' JR') > 0 OR strpos(name, ' SR') > 0 OR strpos(name, ' II') > 0
      OR strpos(name, ' IV') > 0 OR strpos(name, ' MD') > 0 OR strpos(name, ' DO') > 0 OR strpos(name, ' RN') > 0)`,
    ),
  );
};

export const down: Migration = async ({ context: sql }) => {
  await sql.query(normalizeNameSql(`name ~ ' (JR|SR|II|IV|MD|DO|RN)'`));
};

/** Migration 0800's function with `suffixGuard` deciding whether the suffix pass runs. */
function normalizeNameSql(suffixGuard: string) {
  return `
CREATE OR REPLACE FUNCTION ale_normalize_name(value text) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $fn$
DECLARE
  name text := regexp_replace(
    translate(upper(public.unaccent('public.unaccent'::regdictionary, coalesce(value, ''))), '''\`’', ''),
    '[^A-Z0-9-]+', ' ', 'g');
BEGIN
  IF strpos(name, '-') > 0 THEN
    name := regexp_replace(name, '\\s*-[\\s-]*', '-', 'g');
  END IF;
  IF ${suffixGuard} THEN
    name := regexp_replace(name, '(?<=\\S)\\s+(JR|SR|II|III|IV|MD|DO|RN)(?=\\s|$)', '', 'g');
  END IF;
  RETURN nullif(btrim(name, ' -'), '');
END
$fn$;`;
}
