import type { Migration } from '../migrator';

/** A record hash is the first 16 bytes of a sha256 (domain/leie-record-hashes.ts) or unknown (NULL). */
export const up: Migration = async ({ context: sql }) => {
  await sql.query(`ALTER TABLE oig_employees_exclusion
    ADD CONSTRAINT oig_employees_exclusion_row_hash_length CHECK (length(row_hash) = 16)`);
};

export const down: Migration = async ({ context: sql }) => {
  await sql.query(
    'ALTER TABLE oig_employees_exclusion DROP CONSTRAINT IF EXISTS oig_employees_exclusion_row_hash_length',
  );
};
