import { QueryTypes } from 'sequelize';
import { signInvitationToken } from '../lib/invitation-tokens';
import type { InvitationEmailKind } from '../lib/workflow-contracts';
import type { ActivityDeps } from './deps';
import { createEmailActivities } from './email';

/** Statuses in which an invitation can still be accepted, reminded, resent or expired. */
const OPEN = `('pending','sent')`;

interface InvitationRow {
  id: string;
  email: string;
  role: string;
  status: string;
  token_id: string;
  expires_at: Date;
  organization_id: string;
  organization_name: string;
  subdomain: string;
  logo_url: string | null;
}

export interface InvitationPlan {
  open: boolean;
  expiresAtMs: number;
  reminderAfterMs: number;
}

function formatExpiry(at: Date): string {
  return `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** Invitation rows and the invitation email; the link carries a token signed here, never in history. */
export function createInvitationActivities(deps: ActivityDeps) {
  const { config, sequelize } = deps;
  const { sendEmail } = createEmailActivities(deps);

  async function findInvitation(invitationId: string): Promise<InvitationRow | undefined> {
    const [row] = await sequelize.query<InvitationRow>(
      `SELECT i.id, i.email, i.role, i.status, i.token_id, i.expires_at, i.organization_id,
              o.name AS organization_name, o.subdomain, o.logo_url
         FROM invitations i JOIN organizations o ON o.id = i.organization_id
        WHERE i.id = :invitationId`,
      { replacements: { invitationId }, type: QueryTypes.SELECT },
    );
    return row;
  }

  const isOpen = (row: InvitationRow | undefined) => row?.status === 'pending' || row?.status === 'sent';

  return {
    /** When the invitation expires (from the row) and when to remind (from this worker's config). */
    async loadInvitationPlan(invitationId: string): Promise<InvitationPlan> {
      const row = await findInvitation(invitationId);
      return {
        open: isOpen(row),
        expiresAtMs: row ? new Date(row.expires_at).getTime() : 0,
        reminderAfterMs: config.INVITATION_REMINDER_AFTER * 1000,
      };
    },

    /**
     * Sends the invitation (or the reminder) if the invitation is still open. `sequence` numbers
     * the sends of one kind (0 first, then one per resend) so each is its own idempotent email.
     */
    async sendInvitationEmail(input: {
      invitationId: string;
      kind: InvitationEmailKind;
      sequence: number;
    }): Promise<{ open: boolean; emailMessageId: string | null }> {
      const row = await findInvitation(input.invitationId);
      if (!row || !isOpen(row)) return { open: false, emailMessageId: null };
      const expiresAt = new Date(row.expires_at);
      const token = await signInvitationToken(
        {
          invitationId: row.id,
          tokenId: row.token_id,
          organizationId: row.organization_id,
          email: row.email,
          expiresAt,
        },
        config.AUTH_JWT_SECRET,
      );
      const acceptUrl = `https://${row.subdomain}.${config.BASE_DOMAIN}/accept-invitation?token=${encodeURIComponent(token)}`;
      const { emailMessageId } = await sendEmail({
        template: input.kind === 'reminder' ? 'invitation-reminder' : 'invitation',
        to: row.email,
        data: {
          organizationName: row.organization_name,
          role: row.role,
          acceptUrl,
          expiresAt: formatExpiry(expiresAt),
          ...(row.logo_url ? { logoUrl: row.logo_url } : {}),
        },
        related: { type: 'invitation', id: row.id },
        idempotencyKey: `invitation/${row.id}/${input.kind}/${input.sequence}`,
      });
      const column = input.kind === 'reminder' ? 'reminder_sent_at' : 'sent_at';
      await sequelize.query(
        `UPDATE invitations SET status = 'sent', ${column} = now(), updated_at = now()
          WHERE id = :id AND status IN ${OPEN}`,
        { replacements: { id: row.id } },
      );
      return { open: true, emailMessageId };
    },

    async markInvitationFailed(input: { invitationId: string; reason: string }): Promise<void> {
      await sequelize.query(
        `UPDATE invitations SET status = 'failed', failure_reason = :reason, updated_at = now()
          WHERE id = :id AND status IN ${OPEN}`,
        { replacements: { id: input.invitationId, reason: input.reason.slice(0, 1000) } },
      );
    },

    /** Marks a still-open invitation expired; an accepted or revoked one is left alone. */
    async expireInvitation(invitationId: string): Promise<{ expired: boolean }> {
      const rows = await sequelize.query(
        `UPDATE invitations SET status = 'expired', updated_at = now()
          WHERE id = :id AND status IN ${OPEN} RETURNING id`,
        { replacements: { id: invitationId }, type: QueryTypes.SELECT },
      );
      return { expired: rows.length === 1 };
    },
  };
}
