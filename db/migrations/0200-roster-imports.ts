import type { Migration } from '../migrator';

/**
 * Roster imports (docs/spec.md §4.2): the keys each import has read (duplicate detection across batches and
 * retries, and "missing from the file" for mode=replace), a cancel flag the import checks between
 * batches, the rejected value on each error row, and indexes for the exact-match branches of search.
 */
export const up: Migration = async ({ context: sql }) => {
  await sql.query(`
CREATE TABLE roster_import_keys (
  import_id uuid NOT NULL REFERENCES roster_imports(id) ON DELETE CASCADE,
  key text NOT NULL,
  PRIMARY KEY (import_id, key)
);
ALTER TABLE roster_imports ADD COLUMN cancel_requested_at timestamptz;
ALTER TABLE roster_import_errors ADD COLUMN value text;
CREATE INDEX employees_org_external_id_idx ON employees (organization_id, external_id);
CREATE INDEX patients_org_email_idx ON patients (organization_id, lower(email));
`);
};

export const down: Migration = async ({ context: sql }) => {
  await sql.query(`
DROP INDEX IF EXISTS patients_org_email_idx;
DROP INDEX IF EXISTS employees_org_external_id_idx;
ALTER TABLE roster_import_errors DROP COLUMN IF EXISTS value;
ALTER TABLE roster_imports DROP COLUMN IF EXISTS cancel_requested_at;
DROP TABLE IF EXISTS roster_import_keys;
`);
};
