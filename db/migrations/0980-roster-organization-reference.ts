import type { Migration } from '../migrator';

/**
 * `employees.organization_id` and `patients.organization_id` are checked once per statement instead of
 * once per row. The foreign key ran a locking lookup of the organization for every row (an executor
 * started per row, a large share of a roster batch's Postgres work in callgrind), although a batch writes one
 * organization's rows. Each table now has, with the same guarantees:
 *
 * - after INSERT, a statement trigger that locks the statement's organizations FOR KEY SHARE, as the
 *   key did, and fails with SQLSTATE 23503 (foreign_key_violation) if one of them does not exist;
 * - before UPDATE OF organization_id, a row trigger that refuses to move a row to another
 *   organization (nothing does; an update that keeps it passes);
 * - on organizations, after DELETE, a statement trigger that deletes their rows (the keys' ON DELETE
 *   CASCADE).
 */
const TABLES = ['employees', 'patients'] as const;

export const up: Migration = async ({ context: sql }) => {
  await sql.query(`
CREATE FUNCTION ale_check_organization_exists() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
  missing uuid;
BEGIN
  PERFORM 1 FROM organizations o WHERE o.id IN (SELECT DISTINCT organization_id FROM new_rows) FOR KEY SHARE;
  SELECT n.organization_id INTO missing FROM (SELECT DISTINCT organization_id FROM new_rows) n
  WHERE NOT EXISTS (SELECT 1 FROM organizations o WHERE o.id = n.organization_id) LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'insert or update on table "%" violates the organization reference', TG_TABLE_NAME
      USING ERRCODE = 'foreign_key_violation', DETAIL = format('Organization %s does not exist.', missing);
  END IF;
  RETURN NULL;
END
$fn$;
CREATE FUNCTION ale_keep_organization() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF NEW.organization_id IS DISTINCT FROM OLD.organization_id THEN
    RAISE EXCEPTION 'a row of "%" cannot move to another organization', TG_TABLE_NAME
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NEW;
END
$fn$;
CREATE FUNCTION ale_delete_organization_rosters() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  DELETE FROM employees e USING deleted_organizations d WHERE e.organization_id = d.id;
  DELETE FROM patients p USING deleted_organizations d WHERE p.organization_id = d.id;
  RETURN NULL;
END
$fn$;
${TABLES.map(
  (table) => `
ALTER TABLE ${table} DROP CONSTRAINT ${table}_organization_id_fkey;
CREATE TRIGGER ${table}_organization_exists AFTER INSERT ON ${table}
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ale_check_organization_exists();
CREATE TRIGGER ${table}_keep_organization BEFORE UPDATE OF organization_id ON ${table}
  FOR EACH ROW EXECUTE FUNCTION ale_keep_organization();`,
).join('')}
CREATE TRIGGER organizations_delete_rosters AFTER DELETE ON organizations
  REFERENCING OLD TABLE AS deleted_organizations FOR EACH STATEMENT EXECUTE FUNCTION ale_delete_organization_rosters();
`);
};

export const down: Migration = async ({ context: sql }) => {
  await sql.query(`
DROP TRIGGER IF EXISTS organizations_delete_rosters ON organizations;
${TABLES.map(
  (table) => `
DROP TRIGGER IF EXISTS ${table}_keep_organization ON ${table};
DROP TRIGGER IF EXISTS ${table}_organization_exists ON ${table};
DELETE FROM ${table} t WHERE NOT EXISTS (SELECT 1 FROM organizations o WHERE o.id = t.organization_id);
ALTER TABLE ${table} ADD CONSTRAINT ${table}_organization_id_fkey
  FOREIGN KEY (organization_id) REFERENCES organizations(id) ON DELETE CASCADE;`,
).join('')}
DROP FUNCTION IF EXISTS ale_delete_organization_rosters();
DROP FUNCTION IF EXISTS ale_keep_organization();
DROP FUNCTION IF EXISTS ale_check_organization_exists();
`);
};
