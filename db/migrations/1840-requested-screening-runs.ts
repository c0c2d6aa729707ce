import type { Migration } from '../migrator';

/**
 * A rescreen requested through the outbox (docs/spec.md §12): `POST …/exclusion-screenings` records
 * its screening run with the intent to start it, in one transaction, before any workflow execution
 * exists — so the run has no `workflow_run_id` yet. The execution that the outbox starts adopts the
 * row (db/screening-run-store.ts). At most one such requested run per workflow id.
 */
export const up: Migration = async ({ context: sql }) => {
  await sql.query(`
ALTER TABLE screening_runs ALTER COLUMN workflow_run_id DROP NOT NULL;
CREATE UNIQUE INDEX screening_runs_requested_idx ON screening_runs (workflow_id) WHERE workflow_run_id IS NULL;
CREATE INDEX screening_runs_unfinished_idx ON screening_runs (workflow_id) WHERE finished_at IS NULL;
`);
};

export const down: Migration = async ({ context: sql }) => {
  await sql.query(`
DROP INDEX IF EXISTS screening_runs_unfinished_idx;
DROP INDEX IF EXISTS screening_runs_requested_idx;
DELETE FROM screening_runs WHERE workflow_run_id IS NULL;
ALTER TABLE screening_runs ALTER COLUMN workflow_run_id SET NOT NULL;
`);
};
