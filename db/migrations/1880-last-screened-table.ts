import type { Migration } from '../migrator';

/**
 * `employee_last_screened`: when each person was last compared against the whole of a loaded
 * exclusion list (docs/spec.md §10), one narrow row per person, in place of the column
 * `employees.last_screened_at` (migration 1310). A full rescreen stamps every active person; on the
 * wide employees row, with its eight indexes and no free room on its pages, every stamp was a new
 * row version and an entry in every index (docs/benchmarks.md, screening). Here a rescreen
 * rewrites a 40-byte row whose one index, the key, does not change: with half of each page kept
 * free (fillfactor 50) the new version fits beside the old one (a HOT update, no index entry).
 * - No foreign key: its check locks the person's row, per inserted stamp, and costs a first full
 *   rescreen as much as the stamp itself. A statement trigger on employees forgets the stamps of
 *   deleted people instead (an organization's deletion deletes its people).
 * - db/last-screened-store.ts owns the statements; the readers (a person's `lastScreenedAt` and
 *   `exclusionStatus`, the screening report, the exports) read it through that store's SQL.
 */
export const up: Migration = async ({ context: sql }) => {
  await sql.query(`
CREATE TABLE employee_last_screened (
  employee_id uuid PRIMARY KEY,
  screened_at timestamptz NOT NULL
) WITH (fillfactor = 50);
INSERT INTO employee_last_screened (employee_id, screened_at)
SELECT id, last_screened_at FROM employees WHERE last_screened_at IS NOT NULL;
ALTER TABLE employees DROP COLUMN last_screened_at;

CREATE FUNCTION ale_forget_last_screened() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  DELETE FROM employee_last_screened s USING old_rows o WHERE s.employee_id = o.id;
  RETURN NULL;
END
$fn$;
CREATE TRIGGER employees_forget_last_screened AFTER DELETE ON employees
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION ale_forget_last_screened();
CREATE FUNCTION ale_truncate_last_screened() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  TRUNCATE employee_last_screened;
  RETURN NULL;
END
$fn$;
CREATE TRIGGER employees_truncate_last_screened AFTER TRUNCATE ON employees
  FOR EACH STATEMENT EXECUTE FUNCTION ale_truncate_last_screened();
`);
};

export const down: Migration = async ({ context: sql }) => {
  await sql.query(`
DROP TRIGGER IF EXISTS employees_truncate_last_screened ON employees;
DROP FUNCTION IF EXISTS ale_truncate_last_screened();
DROP TRIGGER IF EXISTS employees_forget_last_screened ON employees;
DROP FUNCTION IF EXISTS ale_forget_last_screened();
ALTER TABLE employees ADD COLUMN last_screened_at timestamptz;
UPDATE employees e SET last_screened_at = s.screened_at FROM employee_last_screened s WHERE s.employee_id = e.id;
DROP TABLE employee_last_screened;
`);
};
