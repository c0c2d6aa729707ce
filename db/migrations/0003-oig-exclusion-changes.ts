import type { Migration } from '../migrator';

/**
 * Which exclusion keys an OIG import added or removed: written by the sync in the same transaction
 * as the swap, read by the rescreen it starts, so workflow inputs carry only the check id.
 */
export const up: Migration = async ({ context: sql }) => {
  await sql.query(`
CREATE TABLE oig_exclusion_changes (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  check_id uuid NOT NULL REFERENCES oig_exclusions_check(id) ON DELETE CASCADE,
  exclusion_key text NOT NULL,
  change text NOT NULL CHECK (change IN ('added','removed')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (check_id, exclusion_key)
);
`);
};

export const down: Migration = async ({ context: sql }) => {
  await sql.query('DROP TABLE IF EXISTS oig_exclusion_changes;');
};
