import type { Migration } from '../migrator';

/**
 * `exclusion_source_records (source, record_hash)`, unique: a sync deletes the records whose hash its
 * file no longer holds (db/exclusion-source-import.ts), a few thousand of a list of 170k a month, and
 * without this index each sync read the source's whole list to find them. Unique, because a hash
 * that two rows shared would delete both where the file dropped one: the reader gives every copy of
 * a repeated record its own hash, and a sync that broke that rule would fail, not lose a row.
 */
export const up: Migration = async ({ context: sql }) => {
  await sql.query(
    `CREATE UNIQUE INDEX IF NOT EXISTS exclusion_source_records_hash_idx ON exclusion_source_records (source, record_hash)`,
  );
};

export const down: Migration = async ({ context: sql }) => {
  await sql.query(`DROP INDEX IF EXISTS exclusion_source_records_hash_idx`);
};
