import type { Migration } from '../migrator';

/**
 * What lets the OIG sync apply a new list as a difference instead of re-typing every row:
 * - `row_hash`: the first 16 bytes of sha256 of the published CSV record the row came from (its
 *   line without the line end). The typed row is a function of that record, so a record whose hash
 *   the list already holds needs no COPY, typing or normalization. NULL = not known (rows written
 *   before this migration, or by anything but the sync): the next sync re-types them. A change to a
 *   row's content that does not also set `row_hash` clears it (trigger), so the hash never lies.
 * - `invalid_fields`: the row's unreadable dates (raw value present, date NULL), so the check row's
 *   total stays exact when only the changed records are typed.
 * - indexes on the key without its `#n` duplicate suffix (a changed record's group) and on the
 *   duplicates' keys (groups whose numbering follows file order).
 * - `oig_list_version`: bumped by every statement that writes the list, so a sync that classified
 *   the file against one version of the list can tell, at swap time, that another writer came first.
 */
export const up: Migration = async ({ context: sql }) => {
  await sql.query(`
ALTER TABLE oig_employees_exclusion ADD COLUMN row_hash bytea, ADD COLUMN invalid_fields smallint;
CREATE INDEX oig_employees_exclusion_row_hash_idx ON oig_employees_exclusion (row_hash);
CREATE INDEX oig_employees_exclusion_base_key_idx
  ON oig_employees_exclusion (split_part(exclusion_key, '#', 1));
CREATE INDEX oig_employees_exclusion_duplicate_idx
  ON oig_employees_exclusion (exclusion_key) WHERE strpos(exclusion_key, '#') > 0;

CREATE FUNCTION ale_oig_row_hash_guard() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  NEW.row_hash := NULL;
  RETURN NEW;
END
$fn$;
CREATE TRIGGER oig_employees_exclusion_row_hash_guard
  BEFORE UPDATE ON oig_employees_exclusion FOR EACH ROW
  WHEN (OLD.row_hash IS NOT NULL AND NEW.row_hash IS NOT DISTINCT FROM OLD.row_hash
    AND (NEW.exclusion_key, NEW.lastname, NEW.firstname, NEW.midname, NEW.busname, NEW.general,
         NEW.specialty, NEW.upin, NEW.npi, NEW.dob, NEW.address, NEW.city, NEW.state, NEW.zip,
         NEW.excltype, NEW.excldate, NEW.reindate, NEW.waiverdate, NEW.wvrstate)
      IS DISTINCT FROM
        (OLD.exclusion_key, OLD.lastname, OLD.firstname, OLD.midname, OLD.busname, OLD.general,
         OLD.specialty, OLD.upin, OLD.npi, OLD.dob, OLD.address, OLD.city, OLD.state, OLD.zip,
         OLD.excltype, OLD.excldate, OLD.reindate, OLD.waiverdate, OLD.wvrstate))
  EXECUTE FUNCTION ale_oig_row_hash_guard();

CREATE TABLE oig_list_version (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  version bigint NOT NULL
);
INSERT INTO oig_list_version VALUES (true, 0);
CREATE FUNCTION ale_oig_list_changed() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  UPDATE oig_list_version SET version = version + 1;
  RETURN NULL;
END
$fn$;
CREATE TRIGGER oig_employees_exclusion_version
  AFTER INSERT OR UPDATE OR DELETE ON oig_employees_exclusion
  FOR EACH STATEMENT EXECUTE FUNCTION ale_oig_list_changed();
CREATE TRIGGER oig_employees_exclusion_version_truncate
  AFTER TRUNCATE ON oig_employees_exclusion
  FOR EACH STATEMENT EXECUTE FUNCTION ale_oig_list_changed();
`);
};

export const down: Migration = async ({ context: sql }) => {
  await sql.query(`
DROP TRIGGER IF EXISTS oig_employees_exclusion_version_truncate ON oig_employees_exclusion;
DROP TRIGGER IF EXISTS oig_employees_exclusion_version ON oig_employees_exclusion;
DROP FUNCTION IF EXISTS ale_oig_list_changed();
DROP TABLE IF EXISTS oig_list_version;
DROP TRIGGER IF EXISTS oig_employees_exclusion_row_hash_guard ON oig_employees_exclusion;
DROP FUNCTION IF EXISTS ale_oig_row_hash_guard();
DROP INDEX IF EXISTS oig_employees_exclusion_duplicate_idx;
DROP INDEX IF EXISTS oig_employees_exclusion_base_key_idx;
DROP INDEX IF EXISTS oig_employees_exclusion_row_hash_idx;
ALTER TABLE oig_employees_exclusion DROP COLUMN IF EXISTS invalid_fields, DROP COLUMN IF EXISTS row_hash;
`);
};
