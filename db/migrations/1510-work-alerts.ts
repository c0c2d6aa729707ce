import type { Migration } from '../migrator';

/**
 * `work_alerts` (docs/spec.md §12): a screening or OIG sync that failed, or has been retrying for
 * 30 minutes, is visible in its status and emailed to platform admins. One row per workflow run and
 * state; `cleared_at` is set when a run that was `retrying` finishes after all. `reason` holds what
 * the run's own status shows (activity types, attempts, failure types), never roster rows.
 */
export const up: Migration = async ({ context: sql }) => {
  await sql.query(`
CREATE TABLE work_alerts (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  kind text NOT NULL CHECK (kind IN ('exclusion-screening', 'oig-sync')),
  workflow_id text NOT NULL,
  workflow_run_id text NOT NULL,
  state text NOT NULL CHECK (state IN ('retrying', 'failed')),
  reason text NOT NULL,
  organization_id uuid REFERENCES organizations(id) ON DELETE CASCADE,
  since timestamptz NOT NULL DEFAULT now(),
  cleared_at timestamptz,
  UNIQUE (workflow_id, workflow_run_id, state)
);
CREATE INDEX work_alerts_open_idx ON work_alerts (kind, since DESC) WHERE cleared_at IS NULL;
`);
};

export const down: Migration = async ({ context: sql }) => {
  await sql.query('DROP TABLE IF EXISTS work_alerts;');
};
