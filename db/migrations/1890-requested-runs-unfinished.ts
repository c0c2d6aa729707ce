import type { Migration } from '../migrator';

/**
 * A requested screening run that no execution adopted within the join window, with no start of it
 * waiting in the outbox, is closed as failed (db/screening-run-store.ts `requestScreeningRun`) and
 * keeps its null `workflow_run_id`: the
 * "one requested run per workflow id" of migration 1840 now counts unfinished ones only, so a later
 * request can record its own.
 */
export const up: Migration = async ({ context: sql }) => {
  await sql.query(`
DROP INDEX screening_runs_requested_idx;
CREATE UNIQUE INDEX screening_runs_requested_idx ON screening_runs (workflow_id)
  WHERE workflow_run_id IS NULL AND finished_at IS NULL;
`);
};

export const down: Migration = async ({ context: sql }) => {
  await sql.query(`
DELETE FROM screening_runs WHERE workflow_run_id IS NULL AND finished_at IS NOT NULL;
DROP INDEX screening_runs_requested_idx;
CREATE UNIQUE INDEX screening_runs_requested_idx ON screening_runs (workflow_id) WHERE workflow_run_id IS NULL;
`);
};
