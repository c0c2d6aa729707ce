import {
  expireInvitation,
  findInvitationForEmail,
  type InvitationEmailRow,
  markInvitationFailed,
  markInvitationSent,
  OPEN_INVITATION_STATUSES,
} from '../db/invitation-store';
import { signInvitationToken } from '../lib/invitation-tokens';
import type { InvitationEmailKind } from '../lib/workflow-contracts';
import type { ActivityDeps } from './deps';
import { createEmailActivities } from './email';

export interface InvitationPlan {
  open: boolean;
  expiresAtMs: number;
  reminderAfterMs: number;
  /** For the workflow's OrganizationId search attribute; null when the invitation is gone. */
  organizationId: string | null;
}

function formatExpiry(at: Date): string {
  return `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

const isOpen = (row: InvitationEmailRow | undefined): row is InvitationEmailRow =>
  row !== undefined && OPEN_INVITATION_STATUSES.includes(row.status);

/** Invitation rows and the invitation email; the link carries a token signed here, never in history. */
export function createInvitationActivities(deps: ActivityDeps) {
  const { config, sequelize } = deps;
  const { sendEmail } = createEmailActivities(deps);

  return {
    /** When the invitation expires (from the row) and when to remind (from this worker's config). */
    async loadInvitationPlan(invitationId: string): Promise<InvitationPlan> {
      const row = await findInvitationForEmail(sequelize, invitationId);
      return {
        open: isOpen(row),
        organizationId: row?.organization_id ?? null,
        expiresAtMs: row ? row.expires_at.getTime() : 0,
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
      const row = await findInvitationForEmail(sequelize, input.invitationId);
      if (!isOpen(row)) return { open: false, emailMessageId: null };
      const expiresAt = row.expires_at;
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
      await markInvitationSent(sequelize, row.id, input.kind);
      return { open: true, emailMessageId };
    },

    async markInvitationFailed(input: { invitationId: string; reason: string }): Promise<void> {
      await markInvitationFailed(sequelize, input.invitationId, input.reason.slice(0, 1000));
    },

    /** Marks a still-open invitation expired; an accepted or revoked one is left alone. */
    async expireInvitation(invitationId: string): Promise<{ expired: boolean }> {
      return { expired: await expireInvitation(sequelize, invitationId) };
    },
  };
}
