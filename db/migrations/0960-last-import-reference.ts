import type { Migration } from '../migrator';

/**
 * `employees.last_import_id` and `patients.last_import_id` lose their foreign keys (ON DELETE SET
 * NULL); a statement trigger on roster_imports clears them instead. Every roster row an import writes
 * checked the key: a lookup and a FOR KEY SHARE lock of the import's row, which the two batches in
 * flight lock together while each also updates its counters: a measurable share of an import's
 * Postgres CPU and wall time (bench/roster-import.ts, alternating runs with and without the key).
 *
 * The reference stays valid without it: `last_import_id` is only written in a batch transaction
 * whose guarded UPDATE of that (running) import must succeed after the rows are written, and in the
 * finish transaction, which holds the import's row lock. An import deleted meanwhile makes that UPDATE
 * find no row and the batch roll back; one deleted after the commit has its rows cleared here.
 */
export const up: Migration = async ({ context: sql }) => {
  await sql.query(`
ALTER TABLE employees DROP CONSTRAINT employees_last_import_id_fkey;
ALTER TABLE patients DROP CONSTRAINT patients_last_import_id_fkey;
CREATE FUNCTION ale_clear_last_import_id() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  UPDATE employees e SET last_import_id = NULL FROM deleted_imports d WHERE e.last_import_id = d.id;
  UPDATE patients p SET last_import_id = NULL FROM deleted_imports d WHERE p.last_import_id = d.id;
  RETURN NULL;
END
$fn$;
CREATE TRIGGER roster_imports_clear_last_import_id AFTER DELETE ON roster_imports
  REFERENCING OLD TABLE AS deleted_imports FOR EACH STATEMENT EXECUTE FUNCTION ale_clear_last_import_id();
`);
};

export const down: Migration = async ({ context: sql }) => {
  await sql.query(`
DROP TRIGGER IF EXISTS roster_imports_clear_last_import_id ON roster_imports;
DROP FUNCTION IF EXISTS ale_clear_last_import_id();
ALTER TABLE employees ADD CONSTRAINT employees_last_import_id_fkey
  FOREIGN KEY (last_import_id) REFERENCES roster_imports(id) ON DELETE SET NULL;
ALTER TABLE patients ADD CONSTRAINT patients_last_import_id_fkey
  FOREIGN KEY (last_import_id) REFERENCES roster_imports(id) ON DELETE SET NULL;
`);
};
