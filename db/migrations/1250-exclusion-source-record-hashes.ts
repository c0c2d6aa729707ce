import type { Migration } from '../migrator';

/**
 * `exclusion_source_records.record_hash`: the first 16 bytes of the sha256 of a record's content as
 * the sync stages it (db/exclusion-source-import.ts), so a sync stages only the records whose hash
 * the list does not hold yet — the LEIE's record-hash difference (docs/architecture.md). Rows
 * written before this column have no hash; the next sync rewrites them once.
 */
export const up: Migration = async ({ context: sql }) => {
  await sql.query(`ALTER TABLE exclusion_source_records ADD COLUMN record_hash bytea`);
};

export const down: Migration = async ({ context: sql }) => {
  await sql.query(`ALTER TABLE exclusion_source_records DROP COLUMN IF EXISTS record_hash`);
};
