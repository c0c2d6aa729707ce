import type { Sequelize } from 'sequelize';
import { type Db, execute, inTransaction, query, queryOne } from './sql';
import type { Role } from './user-store';

/** Every statement on `invitations`: the API records and closes them, the workflow sends and expires them. */

export type InvitationStatus = 'pending' | 'sent' | 'accepted' | 'expired' | 'revoked' | 'failed';

/** Statuses in which an invitation can still be accepted, reminded, resent, revoked or expired. */
export const OPEN_INVITATION_STATUSES: readonly InvitationStatus[] = ['pending', 'sent'];
const OPEN = `('pending','sent')`;

export interface InvitationRow {
  id: string;
  organization_id: string;
  email: string;
  role: Role;
  status: InvitationStatus;
  invited_by: string | null;
  expires_at: Date;
  sent_at: Date | null;
  accepted_at: Date | null;
  reminder_sent_at: Date | null;
  token_id: string;
  workflow_id: string | null;
  failure_reason: string | null;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = `id, organization_id, email, role, status, invited_by, expires_at, sent_at, accepted_at,
  reminder_sent_at, token_id, workflow_id, failure_reason, created_at, updated_at`;

type NewInvitation = Pick<
  InvitationRow,
  'id' | 'organization_id' | 'email' | 'role' | 'invited_by' | 'expires_at' | 'token_id' | 'workflow_id'
>;

/** A new open invitation; undefined when the address already has an open one in that organization. */
export function insertInvitation(db: Db, invitation: NewInvitation): Promise<InvitationRow | undefined> {
  return queryOne<InvitationRow>(
    db,
    `INSERT INTO invitations (id, organization_id, email, role, invited_by, expires_at, token_id, workflow_id)
     VALUES ($id, $organizationId, $email, $role, $invitedBy, $expiresAt, $tokenId, $workflowId)
     ON CONFLICT DO NOTHING
     RETURNING ${COLUMNS}`,
    {
      id: invitation.id,
      organizationId: invitation.organization_id,
      email: invitation.email,
      role: invitation.role,
      invitedBy: invitation.invited_by,
      expiresAt: invitation.expires_at,
      tokenId: invitation.token_id,
      workflowId: invitation.workflow_id,
    },
  );
}

/**
 * Inserts the invitation and runs `work` (its audit entry) in the same transaction; undefined, with
 * nothing written, when the address already has an open invitation in that organization.
 */
export function withInsertedInvitation(
  sequelize: Sequelize,
  invitation: NewInvitation,
  work: (invitation: InvitationRow, tx: Db) => Promise<void>,
): Promise<InvitationRow | undefined> {
  return inTransaction(sequelize, async (tx) => {
    const row = await insertInvitation(tx, invitation);
    if (row) await work(row, tx);
    return row;
  });
}

/** Removes an invitation whose workflow could not be started, so the admin can invite again. */
export async function deleteInvitation(db: Db, id: string): Promise<void> {
  await execute(db, 'DELETE FROM invitations WHERE id = $id', { id });
}

export function findInvitation(db: Db, id: string): Promise<InvitationRow | undefined> {
  return queryOne<InvitationRow>(db, `SELECT ${COLUMNS} FROM invitations WHERE id = $id`, { id });
}

/** The open, unexpired invitations of an address (single sign-on accepts them), oldest first. */
export function listOpenInvitationsForEmail(db: Db, email: string): Promise<InvitationRow[]> {
  return query<InvitationRow>(
    db,
    `SELECT ${COLUMNS} FROM invitations
      WHERE email = $email AND status IN ${OPEN} AND expires_at > now()
      ORDER BY created_at`,
    { email },
  );
}

export function findOrganizationInvitation(
  db: Db,
  organizationId: string,
  id: string,
): Promise<InvitationRow | undefined> {
  return queryOne<InvitationRow>(
    db,
    `SELECT ${COLUMNS} FROM invitations WHERE id = $id AND organization_id = $organizationId`,
    { id, organizationId },
  );
}

/**
 * Runs `work` in one transaction with the invitation's row locked (undefined when there is none),
 * so a revoke and an acceptance never both win; `work` records through the `tx` it is given.
 */
export function withLockedInvitation<T>(
  sequelize: Sequelize,
  id: string,
  work: (invitation: InvitationRow | undefined, tx: Db) => Promise<T>,
): Promise<T> {
  return inTransaction(sequelize, async (tx) => {
    const row = await queryOne<InvitationRow>(
      tx,
      `SELECT ${COLUMNS} FROM invitations WHERE id = $id FOR UPDATE`,
      {
        id,
      },
    );
    return work(row, tx);
  });
}

/** A listed invitation; `cursor_at` keeps created_at as Postgres text (microseconds). */
export type InvitationListRow = InvitationRow & { cursor_at: string };

/** The organization's invitations, newest first, before the (created_at, id) cursor. */
export function listOrganizationInvitations(
  db: Db,
  organizationId: string,
  filter: { status?: InvitationStatus },
  before: [createdAt: string, id: string] | undefined,
  limit: number,
): Promise<InvitationListRow[]> {
  return query<InvitationListRow>(
    db,
    `SELECT ${COLUMNS}, created_at::text AS cursor_at FROM invitations
      WHERE organization_id = $organizationId
        ${filter.status ? 'AND status = $status' : ''}
        ${before ? 'AND (created_at, id) < (CAST($beforeAt AS timestamptz), CAST($beforeId AS uuid))' : ''}
      ORDER BY created_at DESC, id DESC
      LIMIT $limit`,
    {
      organizationId,
      status: filter.status ?? null,
      beforeAt: before?.[0] ?? null,
      beforeId: before?.[1] ?? null,
      limit,
    },
  );
}

/** The admin revoked the (open, locked) invitation; returns the row as it is now. */
export async function markInvitationRevoked(db: Db, id: string): Promise<InvitationRow> {
  const row = await queryOne<InvitationRow>(
    db,
    `UPDATE invitations SET status = 'revoked', updated_at = now() WHERE id = $id RETURNING ${COLUMNS}`,
    { id },
  );
  return row as InvitationRow;
}

/** The invitee joined through the (open, locked) invitation; returns the row as it is now. */
export async function markInvitationAccepted(db: Db, id: string): Promise<InvitationRow> {
  const row = await queryOne<InvitationRow>(
    db,
    `UPDATE invitations SET status = 'accepted', accepted_at = now(), updated_at = now()
      WHERE id = $id RETURNING ${COLUMNS}`,
    { id },
  );
  return row as InvitationRow;
}

/** What the invitation email needs: the invitation and its organization's name, host and logo. */
export interface InvitationEmailRow {
  id: string;
  email: string;
  role: Role;
  status: InvitationStatus;
  token_id: string;
  expires_at: Date;
  organization_id: string;
  organization_name: string;
  subdomain: string;
  logo_url: string | null;
}

export async function findInvitationForEmail(
  db: Db,
  invitationId: string,
): Promise<InvitationEmailRow | undefined> {
  return queryOne<InvitationEmailRow>(
    db,
    `SELECT i.id, i.email, i.role, i.status, i.token_id, i.expires_at, i.organization_id,
            o.name AS organization_name, o.subdomain, o.logo_url
       FROM invitations i JOIN organizations o ON o.id = i.organization_id
      WHERE i.id = $invitationId`,
    { invitationId },
  );
}

/** The invitation (or its reminder) went out; an invitation closed meanwhile is left alone. */
export async function markInvitationSent(db: Db, id: string, kind: 'invitation' | 'reminder'): Promise<void> {
  const column = kind === 'reminder' ? 'reminder_sent_at' : 'sent_at';
  await execute(
    db,
    `UPDATE invitations SET status = 'sent', ${column} = now(), updated_at = now()
      WHERE id = $id AND status IN ${OPEN}`,
    { id },
  );
}

export async function markInvitationFailed(db: Db, id: string, reason: string): Promise<void> {
  await execute(
    db,
    `UPDATE invitations SET status = 'failed', failure_reason = $reason, updated_at = now()
      WHERE id = $id AND status IN ${OPEN}`,
    { id, reason },
  );
}

/** Marks a still-open invitation expired; whether it was (an accepted or revoked one is left alone). */
export async function expireInvitation(db: Db, id: string): Promise<boolean> {
  const touched = await execute(
    db,
    `UPDATE invitations SET status = 'expired', updated_at = now()
      WHERE id = $id AND status IN ${OPEN}`,
    { id },
  );
  return touched === 1;
}
