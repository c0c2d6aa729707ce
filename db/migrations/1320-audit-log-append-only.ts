import type { Migration } from '../migrator';

/**
 * `audit_log` is append-only (docs/spec.md §10): the database refuses UPDATE, DELETE and TRUNCATE
 * on it, whoever asks — a trigger, not a grant, so the application's own role cannot edit the
 * evidence either.
 * - The references to organizations and users go: their `ON DELETE SET NULL` was an UPDATE of the
 *   audit rows, which the trigger would refuse, so deleting an organization or a user would fail.
 *   An audit row keeps the ids of the organization and actor it was written for, even after they
 *   are deleted: the trail of a deleted organization stays readable by platform admins
 *   (`GET /v1/audit-log?organizationId=`). Organizations are normally only marked `deleted`.
 * - (at, id) orders the platform-wide listing; (organization_id, at) already serves one organization.
 */
export const up: Migration = async ({ context: sql }) => {
  await sql.query(`
ALTER TABLE audit_log DROP CONSTRAINT IF EXISTS audit_log_organization_id_fkey;
ALTER TABLE audit_log DROP CONSTRAINT IF EXISTS audit_log_actor_user_id_fkey;
CREATE FUNCTION ale_audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$fn$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION ale_audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION ale_audit_log_append_only();
CREATE INDEX audit_log_at_idx ON audit_log (at DESC, id DESC);
`);
};

export const down: Migration = async ({ context: sql }) => {
  await sql.query(`
DROP INDEX IF EXISTS audit_log_at_idx;
DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log;
DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log;
DROP FUNCTION IF EXISTS ale_audit_log_append_only();
UPDATE audit_log a SET organization_id = NULL
  WHERE organization_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM organizations o WHERE o.id = a.organization_id);
UPDATE audit_log a SET actor_user_id = NULL
  WHERE actor_user_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = a.actor_user_id);
ALTER TABLE audit_log ADD CONSTRAINT audit_log_organization_id_fkey
  FOREIGN KEY (organization_id) REFERENCES organizations(id) ON DELETE SET NULL;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_actor_user_id_fkey
  FOREIGN KEY (actor_user_id) REFERENCES users(id) ON DELETE SET NULL;
`);
};
