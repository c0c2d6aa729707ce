import type { Context } from 'hono';
import { type InvitationRow, listOrganizationInvitations } from '../../../db/invitation-store';
import { createInvitationService } from '../../../services/invitations';
import { createSessionService } from '../../../services/sessions';
import { accepted, acceptedBody } from '../../accepted';
import { type AppDeps, createRouter } from '../../env';
import { decodeCursor, page } from '../../paging';
import { invitationRouteDefinitions } from './routes';

const iso = (value: Date | null) => (value ? value.toISOString() : null);

function invitationJson(invitation: InvitationRow) {
  return {
    id: invitation.id,
    organizationId: invitation.organization_id,
    email: invitation.email,
    role: invitation.role,
    status: invitation.status,
    invitedBy: invitation.invited_by,
    expiresAt: invitation.expires_at.toISOString(),
    sentAt: iso(invitation.sent_at),
    acceptedAt: iso(invitation.accepted_at),
    reminderSentAt: iso(invitation.reminder_sent_at),
    failureReason: invitation.failure_reason,
    workflowId: invitation.workflow_id,
    createdAt: invitation.created_at.toISOString(),
    updatedAt: invitation.updated_at.toISOString(),
  };
}

export function invitationRoutes(deps: AppDeps) {
  const { config, sequelize } = deps;
  const routes = invitationRouteDefinitions(config.AUTH_JWT_SECRET);
  const invitations = createInvitationService(deps);
  const sessions = createSessionService(deps);
  const acceptedInvitation = (c: Context, invitation: InvitationRow) =>
    accepted(
      c,
      acceptedBody(
        config,
        invitationJson(invitation),
        invitation.workflow_id ?? '',
        `/v1/organizations/${invitation.organization_id}/invitations/${invitation.id}`,
      ),
    );

  return createRouter()
    .openapi(routes.create, async (c) => {
      const actor = { userId: c.var.user.id, role: c.var.role, logger: c.var.logger };
      const invitation = await invitations.invite(actor, c.var.organization.id, c.req.valid('json'));
      return acceptedInvitation(c, invitation);
    })
    .openapi(routes.list, async (c) => {
      const { limit, cursor, status } = c.req.valid('query');
      const before = decodeCursor(cursor, ['timestamp', 'uuid']);
      const rows = await listOrganizationInvitations(
        sequelize,
        c.var.organization.id,
        { status },
        before,
        limit + 1,
      );
      const { items, nextCursor } = page(rows, limit, (row) => [row.cursor_at, row.id]);
      return c.json({ items: items.map(invitationJson), nextCursor }, 200);
    })
    .openapi(routes.get, async (c) => {
      const { id } = c.req.valid('param');
      return c.json(invitationJson(await invitations.findInOrganization(c.var.organization.id, id)), 200);
    })
    .openapi(routes.resend, async (c) => {
      const actor = { userId: c.var.user.id, role: c.var.role, logger: c.var.logger };
      const invitation = await invitations.resend(actor, c.var.organization.id, c.req.valid('param').id);
      return acceptedInvitation(c, invitation);
    })
    .openapi(routes.revoke, async (c) => {
      const actor = { userId: c.var.user.id, role: c.var.role, logger: c.var.logger };
      const invitation = await invitations.revoke(actor, c.var.organization.id, c.req.valid('param').id);
      return acceptedInvitation(c, invitation);
    })
    .openapi(routes.accept, async (c) => {
      const { user, invitation } = await invitations.accept(c.req.valid('json'), c.var.logger);
      const tokens = await sessions.start(user.id, 'invitation');
      return c.json(
        {
          user: { id: user.id, email: user.email, name: user.name },
          organizationId: invitation.organization_id,
          role: invitation.role,
          ...tokens,
        },
        201,
      );
    });
}
