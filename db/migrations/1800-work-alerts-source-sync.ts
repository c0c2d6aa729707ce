import type { Migration } from '../migrator';

/**
 * Every exclusion list syncs through one workflow (docs/spec.md §8), wrapped in work alerts like the
 * LEIE's (§12): a sync of another list that failed or keeps retrying is a `work_alerts` row of kind
 * `exclusion-source-sync` (the LEIE's keep `oig-sync`, which GET /v1/oig/status reads).
 */
export const up: Migration = async ({ context: sql }) => {
  await sql.query(`
ALTER TABLE work_alerts DROP CONSTRAINT work_alerts_kind_check;
ALTER TABLE work_alerts ADD CONSTRAINT work_alerts_kind_check
  CHECK (kind IN ('exclusion-screening', 'oig-sync', 'exclusion-source-sync'));
`);
};

export const down: Migration = async ({ context: sql }) => {
  await sql.query(`
DELETE FROM work_alerts WHERE kind = 'exclusion-source-sync';
ALTER TABLE work_alerts DROP CONSTRAINT work_alerts_kind_check;
ALTER TABLE work_alerts ADD CONSTRAINT work_alerts_kind_check
  CHECK (kind IN ('exclusion-screening', 'oig-sync'));
`);
};
