import type { Migration } from '../migrator';

/**
 * `exclusion_source_records (source, record_hash)`: a sync deletes the records whose hash its file
 * no longer holds (db/exclusion-source-import.ts), a few thousand of a list of 170k a month; without
 * this index each sync read the source's whole list to find them.
 */
export const up: Migration = async ({ context: sql }) => {
  await sql.query(
    `CREATE INDEX IF NOT EXISTS exclusion_source_records_hash_idx ON exclusion_source_records (source, record_hash)`,
  );
};

export const down: Migration = async ({ context: sql }) => {
  await sql.query(`DROP INDEX IF EXISTS exclusion_source_records_hash_idx`);
};
