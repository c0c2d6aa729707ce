import type { Migration } from '../migrator';

/**
 * `screening_runs` (docs/spec.md §10): one row per exclusion screening, so a screening is a resource
 * with a status, the people it screened and the list version it screened them against — the
 * evidence that "clear" means "compared against a loaded list", not "nothing was compared".
 * - One run per workflow execution: (workflow_id, workflow_run_id) is unique, so the API (which
 *   answers with the id) and the workflow's own activity claim the same row in either order.
 * - `organization_id` is null for list-wide runs (an OIG import's rescreen, the weekly rescreen).
 * - `list_versions` maps each source id to the check id of the list in force (`{"leie": "<id>"}`);
 *   empty when no list was loaded, and the run is then `incomplete` with the reason in `error`.
 */
export const up: Migration = async ({ context: sql }) => {
  await sql.query(`
CREATE TABLE screening_runs (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid REFERENCES organizations(id) ON DELETE CASCADE,
  trigger text NOT NULL CHECK (trigger IN ('person_change','import','source_update','manual','monthly')),
  status text NOT NULL DEFAULT 'running' CHECK (status IN ('running','succeeded','incomplete','failed')),
  list_versions jsonb NOT NULL DEFAULT '{}',
  people_screened integer,
  matches_opened integer,
  matches_resolved integer,
  error text,
  workflow_id text NOT NULL,
  workflow_run_id text NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (workflow_id, workflow_run_id)
);
-- "Was this person compared against a loaded list since their last change?" (organization_id is
-- the organization's or NULL for list-wide runs).
CREATE INDEX screening_runs_org_started_idx ON screening_runs (organization_id, started_at DESC)
  WHERE status = 'succeeded';
`);
};

export const down: Migration = async ({ context: sql }) => {
  await sql.query('DROP TABLE IF EXISTS screening_runs;');
};
