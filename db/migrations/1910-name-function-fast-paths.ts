import type { Migration } from '../migrator';

/**
 * Plain names take a short way through the name functions every roster row and list record calls
 * when it is written (`employees.first_name_norm`, `last_name_norm` and `other_names` through the
 * roster batch, `match_names` as a generated column, `ale_name_keys(match_names)` in the GIN indexes).
 * Each function becomes a SQL `CASE` that Postgres inlines into the statement (no function call a
 * row) and hands every other input to its former definition, kept under a `_general` name:
 * - `ale_normalize_name`: a value of ASCII letters and digits only is its upper case (no accent,
 *   punctuation, space, hyphen or suffix for the general passes to act on; unaccent's rules start
 *   with no ASCII character);
 * - `ale_match_names`: a person with no other names and no hyphen in the last name has one entry,
 *   `LAST|FIRST|M|P`;
 * - `ale_name_keys`: a single entry's key is its first two fields;
 * - `ale_split_names`: a cell with no `;` or `|` is one name, or none when blank.
 * Our functions are named with their schema: Postgres 17 evaluates index expressions in maintenance
 * (CREATE INDEX, VACUUM) with only pg_catalog on the search path.
 * The results are those of the general definitions for every input (test/db/name-function-fast-paths.test.ts
 * compares them on generated names), so stored `match_names` and the indexes stay valid as they are.
 */
const FUNCTIONS = [
  { name: 'ale_normalize_name', args: 'value text', types: 'text', returns: 'text' },
  {
    name: 'ale_match_names',
    args: 'first_norm text, middle text, last_norm text, others text[]',
    types: 'text, text, text, text[]',
    returns: 'text[]',
  },
  { name: 'ale_name_keys', args: 'match_names text[]', types: 'text[]', returns: 'text[]' },
  { name: 'ale_split_names', args: 'value text', types: 'text', returns: 'text[]' },
] as const;

type NameFunction = (typeof FUNCTIONS)[number];

/** The characters the normalization keeps as they are, but for the case of the letters. */
const KEPT_AS_THEY_ARE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

const FAST_PATHS: Record<NameFunction['name'], string> = {
  ale_normalize_name: `
  SELECT CASE
    WHEN value IS NULL OR value = '' THEN NULL
    WHEN ltrim(value, '${KEPT_AS_THEY_ARE}') = '' THEN upper(value)
    ELSE public.ale_normalize_name_general(value)
  END`,
  ale_match_names: `
  SELECT CASE
    WHEN cardinality(others) > 0 OR strpos(last_norm, '-') > 0
      THEN public.ale_match_names_general(first_norm, middle, last_norm, others)
    WHEN public.ale_match_part(replace(first_norm, '-', ' ')) IS NULL OR public.ale_match_part(last_norm) IS NULL THEN '{}'::text[]
    ELSE ARRAY[public.ale_match_part(last_norm) || '|' || public.ale_match_part(replace(first_norm, '-', ' ')) || '|'
      || coalesce(left(public.ale_normalize_name(middle), 1), '') || '|P']
  END`,
  ale_name_keys: `
  SELECT CASE cardinality(match_names)
    WHEN 0 THEN '{}'::text[]
    WHEN 1 THEN ARRAY[split_part(match_names[1], '|', 1) || '|' || split_part(match_names[1], '|', 2)]
    ELSE public.ale_name_keys_general(match_names)
  END`,
  ale_split_names: `
  SELECT CASE
    WHEN value IS NULL THEN '{}'::text[]
    WHEN strpos(value, ';') = 0 AND strpos(value, '|') = 0
      THEN CASE WHEN btrim(value) = '' THEN '{}'::text[] ELSE ARRAY[btrim(value)] END
    ELSE public.ale_split_names_general(value)
  END`,
};

/**
 * Creates `to` with the language and body `from` has now (the catalogue is the one copy of the
 * body); with `keep`, leaves an existing `to` as it is (the general function is copied once).
 */
function copyFunction(fn: NameFunction, from: string, to: string, { keep }: { keep: boolean }) {
  return `
DO $do$ BEGIN
  IF ${keep} AND to_regprocedure('${to}(${fn.types})') IS NOT NULL THEN RETURN; END IF;
  EXECUTE (SELECT format('CREATE OR REPLACE FUNCTION %s(${fn.args}) RETURNS ${fn.returns} LANGUAGE %s IMMUTABLE PARALLEL SAFE AS %L',
    '${to}', l.lanname, p.prosrc)
    FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang WHERE p.oid = '${from}(${fn.types})'::regprocedure);
END $do$;`;
}

export const up: Migration = async ({ context: sql }) => {
  for (const fn of FUNCTIONS) {
    await sql.query(copyFunction(fn, fn.name, `${fn.name}_general`, { keep: true }));
  }
  for (const fn of FUNCTIONS) {
    await sql.query(`
CREATE OR REPLACE FUNCTION ${fn.name}(${fn.args}) RETURNS ${fn.returns}
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$${FAST_PATHS[fn.name]}
$fn$;`);
  }
};

export const down: Migration = async ({ context: sql }) => {
  for (const fn of FUNCTIONS) {
    await sql.query(copyFunction(fn, `${fn.name}_general`, fn.name, { keep: false }));
  }
  for (const fn of [...FUNCTIONS].reverse()) {
    await sql.query(`DROP FUNCTION IF EXISTS ${fn.name}_general(${fn.types})`);
  }
};
