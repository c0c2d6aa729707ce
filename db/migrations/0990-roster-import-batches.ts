import type { Migration } from '../migrator';

/**
 * The external ids of a running import's committed batches, one row per batch (written with the
 * batch's counters), instead of one `roster_import_keys` row per id. The worker now tells a repeated
 * external id itself (domain/external-id-set.ts); it reads these back only to resume, and the replace
 * step compares the roster with them. Claiming every id in an indexed table was the largest avoidable part
 * of a batch's Postgres work (callgrind, bench/roster-instructions.ts). E-mail keys are still claimed in
 * `roster_import_keys`: Postgres's lower(), which the unique index uses, is the only exact judge of
 * two e-mails being one.
 *
 * The external ids that imports running at the upgrade claimed move here as one batch before their
 * first (rows_before = -1), so that their resume and replace step still see them; the replace step
 * also reads any external id claimed in `roster_import_keys` after that.
 */
export const up: Migration = async ({ context: sql }) => {
  await sql.query(`
CREATE TABLE roster_import_batches (
  import_id uuid NOT NULL REFERENCES roster_imports(id) ON DELETE CASCADE,
  rows_before int NOT NULL,
  external_ids text[] NOT NULL,
  PRIMARY KEY (import_id, rows_before)
);
INSERT INTO roster_import_batches (import_id, rows_before, external_ids)
SELECT k.import_id, -1, array_agg(substr(k.key, 3)) FROM roster_import_keys k
JOIN roster_imports i ON i.id = k.import_id WHERE k.key LIKE 'x:%' GROUP BY k.import_id;
DELETE FROM roster_import_keys WHERE key LIKE 'x:%';
`);
};

export const down: Migration = async ({ context: sql }) => {
  await sql.query(`
INSERT INTO roster_import_keys (import_id, key)
SELECT import_id, 'x:' || unnest(external_ids) FROM roster_import_batches ON CONFLICT DO NOTHING;
DROP TABLE IF EXISTS roster_import_batches;
`);
};
