import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { AuditLogRow } from '../../db/audit-store';
import type { EmailMessageRow } from '../../db/email-message-store';
import { findOrganization, insertOrganization, type OrganizationRow } from '../../db/organization-store';
import { insertSession } from '../../db/session-store';
import { execute, query } from '../../db/sql';
import { ensureMembership, insertUser, type Role } from '../../db/user-store';
import { hashPassword } from '../../lib/passwords';
import { signAccessToken } from '../../lib/tokens';
import { stack } from './stack';

export const TEST_PASSWORD = 'correct horse battery staple';

// scrypt at N=2^17 is slow on purpose (docs/spec.md §12): hash the one test password once per run.
let testPasswordHash: Promise<string> | undefined;
export function hashedTestPassword(): Promise<string> {
  testPasswordHash ??= hashPassword(TEST_PASSWORD);
  return testPasswordHash;
}

/** An access token of a new open session of the user (docs/spec.md §11: tokens carry `sid`). */
export async function sessionToken(userId: string, expiresInSeconds = 600) {
  const sessionId = await insertSession(stack().sequelize, userId, 'password');
  const token = await signAccessToken(
    { userId, sessionId },
    { secret: stack().config.AUTH_JWT_SECRET, expiresInSeconds },
  );
  return { token, sessionId };
}

export async function createUser(options: { platformAdmin?: boolean; email?: string } = {}) {
  const user = await insertUser(stack().sequelize, {
    email: options.email ?? `user-${randomUUID()}@example.test`,
    name: 'Test User',
    password_hash: await hashedTestPassword(),
    platform_admin: options.platformAdmin ?? false,
  });
  const { token, sessionId } = await sessionToken(user.id);
  return { user, token, sessionId };
}

/** An organization row inserted directly (no workflow); the subdomain must be free. */
export async function insertOrganizationRow(
  organization: Pick<OrganizationRow, 'name' | 'subdomain' | 'status' | 'dns_status'>,
): Promise<OrganizationRow> {
  const row = await insertOrganization(stack().sequelize, organization);
  assert.ok(row, `the subdomain ${organization.subdomain} is free`);
  return row;
}

/** An active organization inserted directly (no provisioning workflow), for tests of other features. */
export function createOrganization(name = 'Test Agency') {
  const suffix = randomUUID().slice(0, 8);
  return insertOrganizationRow({ name, subdomain: `org-${suffix}`, status: 'active', dns_status: 'in_sync' });
}

/** A user holding `role` in `organizationId`, with an access token. */
export async function createMember(organizationId: string, role: Role) {
  const member = await createUser();
  await ensureMembership(stack().sequelize, {
    organization_id: organizationId,
    user_id: member.user.id,
    role,
  });
  return member;
}

/** The organization's audit trail, oldest first. */
export function auditTrail(organizationId: string): Promise<AuditLogRow[]> {
  return query<AuditLogRow>(
    stack().sequelize,
    'SELECT * FROM audit_log WHERE organization_id = $organizationId ORDER BY at, created_at',
    { organizationId },
  );
}

/** Puts an organization in a state the test needs (a status, a failure, a logo) without its workflow. */
export async function setOrganizationState(
  id: string,
  state: Partial<Pick<OrganizationRow, 'status' | 'failure_reason' | 'logo_url'>>,
) {
  await execute(
    stack().sequelize,
    `UPDATE organizations SET status = COALESCE($status, status),
       failure_reason = CASE WHEN $setReason THEN $failureReason ELSE failure_reason END,
       logo_url = CASE WHEN $setLogo THEN $logoUrl ELSE logo_url END, updated_at = now()
     WHERE id = $id`,
    {
      id,
      status: state.status ?? null,
      setReason: 'failure_reason' in state,
      failureReason: state.failure_reason ?? null,
      setLogo: 'logo_url' in state,
      logoUrl: state.logo_url ?? null,
    },
  );
}

export async function findOrganizationRow(id: string): Promise<OrganizationRow> {
  const row = await findOrganization(stack().sequelize, id);
  assert.ok(row, `organization ${id} exists`);
  return row;
}

/** The email_messages rows about one entity (an invitation), oldest first. */
export function emailMessagesAbout(entityId: string): Promise<EmailMessageRow[]> {
  return query<EmailMessageRow>(
    stack().sequelize,
    'SELECT * FROM email_messages WHERE related_entity_id = $entityId ORDER BY created_at, id',
    { entityId },
  );
}

/** The work-alert emails (docs/spec.md §12) sent to `to` about one workflow, oldest first. */
export function workAlertEmails(workflowId: string, to: string) {
  return query<{ subject: string; status: string }>(
    stack().sequelize,
    `SELECT subject, status FROM email_messages WHERE template = 'work-alert' AND to_address = $to
       AND idempotency_key LIKE $key ORDER BY created_at, id`,
    { to, key: `work-alert/${workflowId}/%` },
  );
}

/** A roster import's counts when every one of its `rows` rows was new. */
export const allRowsInserted = (rows: number) => ({
  total: rows,
  inserted: rows,
  updated: 0,
  unchanged: 0,
  deactivated: 0,
  rejected: 0,
});
