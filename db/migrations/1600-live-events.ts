import type { Migration } from '../migrator';

/**
 * Live events (docs/spec.md §12): `live_events` keeps every event 24 h so `Last-Event-ID` resumes,
 * and `event_tickets` holds the single-use tickets of `POST /v1/auth/event-ticket`.
 *
 * - Events are written by triggers on the tables whose change they announce, in the transaction
 *   that makes the change: no code path (route, activity, set-based SQL) can commit a change and
 *   forget its event, and a rolled-back change has none. They are DEFERRED constraint triggers, so
 *   the event row is written at COMMIT, after every other statement of the transaction.
 * - Ids must become visible in id order, or a reader at id N could skip an N-1 committed later:
 *   `publish_live_event` takes one transaction-level advisory lock before drawing the id, held to
 *   the commit. Since the triggers fire at COMMIT, the lock is held for the commit alone.
 * - `pg_notify` carries the event id only (never PHI; payloads hold ids and enums): every API
 *   replica LISTENs and reads the rows.
 * - `import.progress` is written at most once per 500 ms per import (≤ 2 a second); the
 *   `import.finished` event carries the final counts.
 */
export const up: Migration = async ({ context: sql }) => {
  await sql.query(`
CREATE TABLE live_events (
  id bigserial PRIMARY KEY,
  type text NOT NULL,
  organization_id uuid,
  subject_id uuid,
  data jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX live_events_organization_idx ON live_events (organization_id, id);
CREATE INDEX live_events_created_idx ON live_events (created_at);
CREATE INDEX live_events_progress_idx ON live_events (subject_id, created_at DESC) WHERE type = 'import.progress';

CREATE TABLE event_tickets (
  ticket_hash text PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  -- The session the ticket was asked from: a logout ends its tickets too (docs/spec.md §11).
  session_id uuid NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  organization_id uuid REFERENCES organizations(id) ON DELETE CASCADE,
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX event_tickets_expires_idx ON event_tickets (expires_at);

CREATE FUNCTION publish_live_event(p_type text, p_organization_id uuid, p_subject_id uuid, p_data jsonb)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  event_id bigint;
BEGIN
  -- Ids commit in the order they are drawn (see the header): one writer of events at a time.
  PERFORM pg_advisory_xact_lock(7160001);
  INSERT INTO live_events (type, organization_id, subject_id, data)
  VALUES (p_type, p_organization_id, p_subject_id, p_data) RETURNING id INTO event_id;
  PERFORM pg_notify('ale_live_events', event_id::text);
  RETURN event_id;
END $$;

CREATE FUNCTION live_event_roster_import() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  payload jsonb := jsonb_build_object(
    'importId', NEW.id, 'organizationId', NEW.organization_id, 'kind', NEW.kind, 'status', NEW.status,
    'rowsProcessed', NEW.rows_processed,
    'counts', jsonb_build_object('total', NEW.total_count, 'inserted', NEW.inserted_count,
      'updated', NEW.updated_count, 'unchanged', NEW.unchanged_count,
      'deactivated', NEW.deactivated_count, 'rejected', NEW.rejected_count));
BEGIN
  IF NEW.status IN ('succeeded', 'failed', 'cancelled') THEN
    IF OLD.status NOT IN ('succeeded', 'failed', 'cancelled') THEN
      PERFORM publish_live_event('import.finished', NEW.organization_id, NEW.id, payload);
    END IF;
  ELSIF NOT EXISTS (
    SELECT 1 FROM live_events WHERE type = 'import.progress' AND subject_id = NEW.id
      AND created_at > clock_timestamp() - interval '500 milliseconds'
  ) THEN
    PERFORM publish_live_event('import.progress', NEW.organization_id, NEW.id, payload);
  END IF;
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER roster_imports_live_event AFTER UPDATE ON roster_imports
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
  WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.rows_processed IS DISTINCT FROM NEW.rows_processed)
  EXECUTE FUNCTION live_event_roster_import();

CREATE FUNCTION live_event_exclusion_match() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM publish_live_event(
    CASE WHEN TG_OP = 'INSERT' THEN 'match.opened' ELSE 'match.updated' END,
    NEW.organization_id, NEW.id,
    jsonb_build_object('matchId', NEW.id, 'organizationId', NEW.organization_id,
      'employeeId', NEW.employee_id, 'source', NEW.source, 'status', NEW.status, 'reason', NEW.reason));
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER exclusion_matches_live_event_insert AFTER INSERT ON exclusion_matches
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION live_event_exclusion_match();
-- A rescreen touches last_seen_at of every match it sees again: not an event.
CREATE CONSTRAINT TRIGGER exclusion_matches_live_event_update AFTER UPDATE ON exclusion_matches
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
  WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.reason IS DISTINCT FROM NEW.reason
    OR OLD.score IS DISTINCT FROM NEW.score OR OLD.note IS DISTINCT FROM NEW.note)
  EXECUTE FUNCTION live_event_exclusion_match();

CREATE FUNCTION live_event_organization() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM publish_live_event('organization.updated', NEW.id, NEW.id,
    jsonb_build_object('organizationId', NEW.id, 'status', NEW.status, 'dnsStatus', NEW.dns_status));
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER organizations_live_event AFTER UPDATE ON organizations
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
  WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.dns_status IS DISTINCT FROM NEW.dns_status
    OR OLD.name IS DISTINCT FROM NEW.name OR OLD.subdomain IS DISTINCT FROM NEW.subdomain
    OR OLD.logo_url IS DISTINCT FROM NEW.logo_url)
  EXECUTE FUNCTION live_event_organization();

CREATE FUNCTION live_event_invitation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM publish_live_event('invitation.updated', NEW.organization_id, NEW.id,
    jsonb_build_object('invitationId', NEW.id, 'organizationId', NEW.organization_id,
      'status', NEW.status, 'role', NEW.role));
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER invitations_live_event_insert AFTER INSERT ON invitations
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION live_event_invitation();
CREATE CONSTRAINT TRIGGER invitations_live_event_update AFTER UPDATE ON invitations
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
  WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION live_event_invitation();

CREATE FUNCTION live_event_source_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM publish_live_event('source.check', NULL, NEW.id,
    jsonb_build_object('checkId', NEW.id, 'source', 'leie', 'status', NEW.status));
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER oig_exclusions_check_live_event AFTER INSERT OR UPDATE ON oig_exclusions_check
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION live_event_source_check();

-- The other lists' checks (migration 1200): the same event, with their source id.
CREATE FUNCTION live_event_exclusion_source_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM publish_live_event('source.check', NULL, NEW.id,
    jsonb_build_object('checkId', NEW.id, 'source', NEW.source, 'status', NEW.status));
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER exclusion_source_checks_live_event AFTER INSERT OR UPDATE ON exclusion_source_checks
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION live_event_exclusion_source_check();
`);
};

export const down: Migration = async ({ context: sql }) => {
  await sql.query(`
DROP TRIGGER IF EXISTS exclusion_source_checks_live_event ON exclusion_source_checks;
DROP TRIGGER IF EXISTS oig_exclusions_check_live_event ON oig_exclusions_check;
DROP TRIGGER IF EXISTS invitations_live_event_update ON invitations;
DROP TRIGGER IF EXISTS invitations_live_event_insert ON invitations;
DROP TRIGGER IF EXISTS organizations_live_event ON organizations;
DROP TRIGGER IF EXISTS exclusion_matches_live_event_update ON exclusion_matches;
DROP TRIGGER IF EXISTS exclusion_matches_live_event_insert ON exclusion_matches;
DROP TRIGGER IF EXISTS roster_imports_live_event ON roster_imports;
DROP FUNCTION IF EXISTS live_event_exclusion_source_check();
DROP FUNCTION IF EXISTS live_event_source_check();
DROP FUNCTION IF EXISTS live_event_invitation();
DROP FUNCTION IF EXISTS live_event_organization();
DROP FUNCTION IF EXISTS live_event_exclusion_match();
DROP FUNCTION IF EXISTS live_event_roster_import();
DROP FUNCTION IF EXISTS publish_live_event(text, uuid, uuid, jsonb);
DROP TABLE IF EXISTS event_tickets;
DROP TABLE IF EXISTS live_events;
`);
};
