import type { Migration } from '../migrator';

/**
 * The review trail of exclusion matches (docs/spec.md §10).
 * - `under_review` joins the match statuses (`open`, `under_review`, `confirmed`, `dismissed`,
 *   `resolved`).
 * - `exclusion_match_events`: one row per status change of a match — at, actor (null for the
 *   system: a screening opening, reopening or resolving it), from, to, note, resolution.
 * - The events are written by statement triggers on `exclusion_matches`, so every writer is
 *   recorded without knowing about the trail: the set-based screening statements (which stay as
 *   they are, db/screening-match-sql.ts) and the reviews. A reviewer's change is told apart by
 *   `reviewed_at` moving in the same statement: the review stamps reviewed_by, reviewed_at and
 *   note, which the event takes as its actor and note; the screenings never touch them.
 *   Statement triggers with transition tables cost one set-based insert per statement, not a
 *   function call per matched row.
 * - Existing matches get their history as far as the columns tell it: detection, then the last
 *   review.
 */
export const up: Migration = async ({ context: sql }) => {
  await sql.query(`
ALTER TABLE exclusion_matches DROP CONSTRAINT exclusion_matches_status_check;
ALTER TABLE exclusion_matches ADD CONSTRAINT exclusion_matches_status_check
  CHECK (status IN ('open','under_review','confirmed','dismissed','resolved'));

CREATE TABLE exclusion_match_events (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  match_id uuid NOT NULL REFERENCES exclusion_matches(id) ON DELETE CASCADE,
  organization_id uuid NOT NULL,
  at timestamptz NOT NULL DEFAULT now(),
  actor_user_id uuid REFERENCES users(id) ON DELETE SET NULL,
  from_status text,
  to_status text NOT NULL,
  note text,
  resolution text,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX exclusion_match_events_match_idx ON exclusion_match_events (match_id, at, created_at);

CREATE FUNCTION ale_exclusion_match_detected() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  INSERT INTO exclusion_match_events (match_id, organization_id, at, from_status, to_status, resolution)
  SELECT n.id, n.organization_id, n.first_detected_at, NULL, n.status, n.resolution FROM new_rows n;
  RETURN NULL;
END
$fn$;
CREATE FUNCTION ale_exclusion_match_status_changed() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  INSERT INTO exclusion_match_events
    (match_id, organization_id, at, actor_user_id, from_status, to_status, note, resolution)
  SELECT n.id, n.organization_id, now(),
    CASE WHEN reviewed THEN n.reviewed_by END, o.status, n.status,
    CASE WHEN reviewed THEN n.note END, n.resolution
  FROM new_rows n JOIN old_rows o ON o.id = n.id,
    LATERAL (SELECT n.reviewed_at IS DISTINCT FROM o.reviewed_at AS reviewed) r
  WHERE n.status IS DISTINCT FROM o.status;
  RETURN NULL;
END
$fn$;
CREATE TRIGGER exclusion_matches_detected AFTER INSERT ON exclusion_matches
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ale_exclusion_match_detected();
CREATE TRIGGER exclusion_matches_status_changed AFTER UPDATE ON exclusion_matches
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION ale_exclusion_match_status_changed();

INSERT INTO exclusion_match_events (match_id, organization_id, at, from_status, to_status)
SELECT id, organization_id, first_detected_at, NULL, 'open' FROM exclusion_matches;
INSERT INTO exclusion_match_events (match_id, organization_id, at, actor_user_id, from_status, to_status, note)
SELECT id, organization_id, reviewed_at, reviewed_by, 'open', status, note
FROM exclusion_matches WHERE reviewed_at IS NOT NULL AND status IN ('confirmed', 'dismissed');
`);
};

export const down: Migration = async ({ context: sql }) => {
  await sql.query(`
DROP TRIGGER IF EXISTS exclusion_matches_status_changed ON exclusion_matches;
DROP TRIGGER IF EXISTS exclusion_matches_detected ON exclusion_matches;
DROP FUNCTION IF EXISTS ale_exclusion_match_status_changed();
DROP FUNCTION IF EXISTS ale_exclusion_match_detected();
DROP TABLE IF EXISTS exclusion_match_events;
UPDATE exclusion_matches SET status = 'open' WHERE status = 'under_review';
ALTER TABLE exclusion_matches DROP CONSTRAINT exclusion_matches_status_check;
ALTER TABLE exclusion_matches ADD CONSTRAINT exclusion_matches_status_check
  CHECK (status IN ('open','confirmed','dismissed','resolved'));
`);
};
