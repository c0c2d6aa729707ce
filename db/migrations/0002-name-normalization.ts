import type { Migration } from '../migrator';

/**
 * The one definition of name normalization (docs/spec.md §4.5), used by every write of a normalized column —
 * bulk LEIE loads, roster imports and manual edits — so both sides of a match are normalized alike:
 * upper-case, accents removed, apostrophes dropped (O'BRIEN → OBRIEN), hyphens kept (parts of a
 * hyphenated last name are split at match time), other punctuation → space, trailing suffixes
 * (JR SR II III IV MD DO RN) dropped unless they are the whole name ("DO" is also a surname),
 * spaces collapsed. Empty results are NULL.
 */
export const up: Migration = async ({ context: sql }) => {
  await sql.query(`
CREATE OR REPLACE FUNCTION ale_normalize_name(value text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT nullif(btrim(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(
    upper(public.unaccent('public.unaccent'::regdictionary, coalesce(value, ''))),
    '[''\`’]', '', 'g'),
    '[^A-Z0-9-]+', ' ', 'g'),
    '\\s*-[\\s-]*', '-', 'g'),
    '(?<=\\S)\\s+(JR|SR|II|III|IV|MD|DO|RN)(?=\\s|$)', '', 'g'),
    '\\s+', ' ', 'g'), ' -'), '')
$fn$;
`);
};

export const down: Migration = async ({ context: sql }) => {
  await sql.query('DROP FUNCTION IF EXISTS ale_normalize_name(text);');
};
