import type { Migration } from '../migrator';

/**
 * Roster import throughput (issue #4's benchmark), without changing what is stored:
 *
 * - `ale_normalize_name` stays the one normalization (same name, same IMMUTABLE signature, same
 *   result for every input) but runs as PL/pgSQL: a SQL function calling the STABLE `unaccent` cannot
 *   be inlined, and each non-inlined SQL call set up a small executor (much of the cost of a roster
 *   row's three normalizations). PL/pgSQL evaluates it as a cached simple expression. The steps
 *   are also cheaper: apostrophes go through `translate` (the same three characters), the hyphen and
 *   suffix passes run only when a hyphen / a ` JR`-like token is present (their patterns cannot match
 *   otherwise), and the final "collapse spaces" pass is gone: after `[^A-Z0-9-]+ → ' '` no two spaces
 *   are adjacent and neither later pass can create adjacent spaces (test/db/normalize-name.test.ts
 *   compares the two definitions on generated names).
 * - `employees_match_name_idx (last_name_norm, first_name_norm)` is dropped: no query reads it since
 *   screening matches names through `ale_name_match_keys` (GIN index employees_name_match_keys_idx, or a
 *   hash join), and every roster row paid for it.
 * - The unique key on (organization_id, kind, external_id) is rebuilt as (organization_id, external_id,
 *   kind): the same uniqueness and the same ON CONFLICT arbiter (inferred from the set of columns), and
 *   its (organization_id, external_id) prefix serves the exact externalId search, which makes
 *   `employees_org_external_id_idx` redundant.
 * - `roster_import_keys.import_id` loses its foreign key, which checked every key of every batch;
 *   its ON DELETE CASCADE becomes a statement trigger on roster_imports. Keys are only written in a
 *   batch transaction whose guarded UPDATE of that running import must succeed, so a key never points
 *   at a missing import.
 */
export const up: Migration = async ({ context: sql }) => {
  await sql.query(`
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
  IF name ~ ' (JR|SR|II|IV|MD|DO|RN)' THEN
    name := regexp_replace(name, '(?<=\\S)\\s+(JR|SR|II|III|IV|MD|DO|RN)(?=\\s|$)', '', 'g');
  END IF;
  RETURN nullif(btrim(name, ' -'), '');
END
$fn$;

DROP INDEX IF EXISTS employees_match_name_idx;
CREATE UNIQUE INDEX employees_org_external_id_kind_key ON employees (organization_id, external_id, kind);
DROP INDEX IF EXISTS employees_org_kind_external_id_key;
DROP INDEX IF EXISTS employees_org_external_id_idx;

ALTER TABLE roster_import_keys DROP CONSTRAINT roster_import_keys_import_id_fkey;
CREATE FUNCTION ale_delete_roster_import_keys() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  DELETE FROM roster_import_keys k USING deleted_imports d WHERE k.import_id = d.id;
  RETURN NULL;
END
$fn$;
CREATE TRIGGER roster_imports_delete_keys AFTER DELETE ON roster_imports
  REFERENCING OLD TABLE AS deleted_imports FOR EACH STATEMENT EXECUTE FUNCTION ale_delete_roster_import_keys();
`);
};

export const down: Migration = async ({ context: sql }) => {
  await sql.query(`
DROP TRIGGER IF EXISTS roster_imports_delete_keys ON roster_imports;
DROP FUNCTION IF EXISTS ale_delete_roster_import_keys();
DELETE FROM roster_import_keys k WHERE NOT EXISTS (SELECT 1 FROM roster_imports i WHERE i.id = k.import_id);
ALTER TABLE roster_import_keys ADD CONSTRAINT roster_import_keys_import_id_fkey
  FOREIGN KEY (import_id) REFERENCES roster_imports(id) ON DELETE CASCADE;

CREATE INDEX employees_org_external_id_idx ON employees (organization_id, external_id);
CREATE UNIQUE INDEX employees_org_kind_external_id_key ON employees (organization_id, kind, external_id);
DROP INDEX IF EXISTS employees_org_external_id_kind_key;
CREATE INDEX employees_match_name_idx ON employees (last_name_norm, first_name_norm);

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
