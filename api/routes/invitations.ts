import { randomUUID } from 'node:crypto';
import { createRoute, z } from '@hono/zod-openapi';
import { type SignalDefinition, WorkflowNotFoundError } from '@temporalio/client';
import { QueryTypes, UniqueConstraintError } from 'sequelize';
import { recordAudit } from '../../db/audit';
import { Invitation, Membership, type Role, User } from '../../db/models';
import { InvalidInvitationTokenError, verifyInvitationToken } from '../../lib/invitation-tokens';
import { hashPassword, verifyPassword } from '../../lib/passwords';
import { signAccessToken } from '../../lib/tokens';
import {
  INVITATION_WORKFLOW_TYPE,
  type InvitationWorkflowInput,
  invitationAcceptedSignal,
  invitationResendSignal,
  invitationRevokedSignal,
  invitationWorkflowId,
} from '../../lib/workflow-contracts';
import { AcceptedFields, acceptedBody } from '../accepted';
import { type AppDeps, createRouter } from '../env';
import { orgRouteFor } from '../org-route';
import { decodeCursor, listSchema, PageQuery, page } from '../paging';
import { ProblemError } from '../problem';
import { jsonBody, jsonResponse, problems, UuidParam } from '../schemas';

const ROLES = ['owner', 'admin', 'member'] as const;
const STATUSES = ['pending', 'sent', 'accepted', 'expired', 'revoked', 'failed'] as const;
const OPEN_STATUSES: readonly string[] = ['pending', 'sent'];
const RANK: Record<Role, number> = { member: 1, admin: 2, owner: 3 };

const InvitationSchema = z
  .object({
    id: z.uuid(),
    organizationId: z.uuid(),
    email: z.string(),
    role: z.enum(ROLES),
    status: z.enum(STATUSES),
    invitedBy: z.uuid().nullable(),
    expiresAt: z.string(),
    sentAt: z.string().nullable(),
    acceptedAt: z.string().nullable(),
    reminderSentAt: z.string().nullable(),
    failureReason: z.string().nullable(),
    workflowId: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Invitation');

const InvitationAcceptedSchema = InvitationSchema.extend(AcceptedFields).openapi('InvitationAccepted');

const CreateInvitationSchema = z
  .object({
    email: z.email().max(320).openapi({ example: 'nurse@example.com' }),
    role: z.enum(ROLES).openapi({ description: 'Admins may invite admins and members; owners anyone.' }),
  })
  .openapi('CreateInvitation');

const AcceptInvitationSchema = z
  .object({
    token: z.string().min(1).max(4096),
    name: z.string().trim().min(1).max(200),
    password: z
      .string()
      .min(12, 'must be at least 12 characters')
      .max(1024)
      .openapi({ description: 'At least 12 characters. For an existing account: its current password.' }),
  })
  .openapi('AcceptInvitation');

const AcceptedInvitationSchema = z
  .object({
    user: z.object({ id: z.uuid(), email: z.string(), name: z.string() }),
    organizationId: z.uuid(),
    role: z.enum(ROLES),
    accessToken: z.string(),
    tokenType: z.literal('Bearer'),
    expiresIn: z.number().int(),
  })
  .openapi('InvitationAcceptance');

const iso = (value: Date | null | undefined) => (value ? new Date(value).toISOString() : null);

function serialize(invitation: Invitation) {
  return {
    id: invitation.id,
    organizationId: invitation.organizationId,
    email: invitation.email,
    role: invitation.role,
    status: invitation.status,
    invitedBy: invitation.invitedBy,
    expiresAt: new Date(invitation.expiresAt).toISOString(),
    sentAt: iso(invitation.sentAt),
    acceptedAt: iso(invitation.acceptedAt),
    reminderSentAt: iso(invitation.reminderSentAt),
    failureReason: invitation.failureReason,
    workflowId: invitation.workflowId,
    createdAt: new Date(invitation.createdAt).toISOString(),
    updatedAt: new Date(invitation.updatedAt).toISOString(),
  };
}

const selfPath = (invitation: Invitation) =>
  `/v1/organizations/${invitation.organizationId}/invitations/${invitation.id}`;

const orgParams = z.object({ orgId: UuidParam });
const invitationParams = z.object({ orgId: UuidParam, id: UuidParam });

export function invitationRoutes({ config, sequelize, temporal }: AppDeps) {
  const orgRoute = orgRouteFor(config.AUTH_JWT_SECRET);

  async function findInOrganization(organizationId: string, id: string) {
    const invitation = await Invitation.findOne({ where: { id, organizationId } });
    if (!invitation) throw new ProblemError(404, `Invitation ${id} was not found.`);
    return invitation;
  }

  /** Signals the invitation's workflow; a workflow that already ended has nothing left to do. */
  async function signalWorkflow(
    invitation: Invitation,
    signal: SignalDefinition<[]>,
  ): Promise<'signalled' | 'not-running'> {
    try {
      await temporal.workflow
        .getHandle(invitation.workflowId ?? invitationWorkflowId(invitation.id))
        .signal(signal);
      return 'signalled';
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return 'not-running';
      throw error;
    }
  }

  return createRouter()
    .openapi(
      orgRoute('admin', {
        method: 'post',
        path: '/v1/organizations/{orgId}/invitations',
        tags: ['invitations'],
        summary: 'Invite someone by email; starts the invitation workflow',
        request: { params: orgParams, body: jsonBody(CreateInvitationSchema) },
        responses: {
          202: jsonResponse(InvitationAcceptedSchema, 'Invitation created; the email is on its way'),
          409: problems[409],
          422: problems[422],
          503: problems[503],
        },
      }),
      async (c) => {
        const { email: rawEmail, role } = c.req.valid('json');
        const email = rawEmail.toLowerCase();
        const organization = c.var.organization;
        if (RANK[role] > RANK[c.var.role]) {
          throw new ProblemError(403, `An ${c.var.role} cannot invite an ${role}; ask an owner.`);
        }
        const [existing] = await sequelize.query(
          `SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id
            WHERE m.organization_id = :orgId AND u.email = :email`,
          { replacements: { orgId: organization.id, email }, type: QueryTypes.SELECT },
        );
        if (existing) throw new ProblemError(409, `${email} is already a member of this organization.`);

        const id = randomUUID();
        const workflowId = invitationWorkflowId(id);
        let invitation: Invitation;
        try {
          invitation = await sequelize.transaction(async (transaction) => {
            const created = await Invitation.create(
              {
                id,
                organizationId: organization.id,
                email,
                role,
                invitedBy: c.var.user.id,
                expiresAt: new Date(Date.now() + config.INVITATION_TOKEN_EXPIRE * 1000),
                tokenId: randomUUID(),
                workflowId,
              },
              { transaction },
            );
            await recordAudit(
              {
                actorUserId: c.var.user.id,
                action: 'invitation.created',
                entityType: 'invitation',
                entityId: id,
                organizationId: organization.id,
                details: { role },
              },
              transaction,
            );
            return created;
          });
        } catch (error) {
          if (error instanceof UniqueConstraintError) {
            throw new ProblemError(409, `An invitation for ${email} is still open; resend or revoke it.`);
          }
          throw error;
        }

        try {
          const input: InvitationWorkflowInput = { invitationId: id };
          await temporal.workflow.start(INVITATION_WORKFLOW_TYPE, {
            taskQueue: config.TEMPORAL_TASK_QUEUE,
            workflowId,
            args: [input],
          });
        } catch (error) {
          // Without its workflow the invitation would never be sent: undo it so the admin can retry.
          c.var.logger.error({ err: error, invitationId: id }, 'could not start the invitation workflow');
          await invitation.destroy();
          throw new ProblemError(503, 'The workflow service is unavailable; try again shortly.');
        }
        return c.json(acceptedBody(config, serialize(invitation), workflowId, selfPath(invitation)), 202);
      },
    )
    .openapi(
      orgRoute('admin', {
        method: 'get',
        path: '/v1/organizations/{orgId}/invitations',
        tags: ['invitations'],
        summary: 'Invitations of the organization, newest first',
        request: {
          params: orgParams,
          query: z.object({ ...PageQuery, status: z.enum(STATUSES).optional() }),
        },
        responses: {
          200: jsonResponse(listSchema(InvitationSchema), 'Invitations'),
          422: problems[422],
        },
      }),
      async (c) => {
        const { limit, cursor, status } = c.req.valid('query');
        const before = decodeCursor(cursor, ['timestamp', 'uuid']);
        const rows = await sequelize.query<{ id: string; cursor_at: string }>(
          `SELECT id, created_at::text AS cursor_at FROM invitations
            WHERE organization_id = :orgId
              ${status ? 'AND status = :status' : ''}
              ${before ? 'AND (created_at, id) < (CAST(:beforeAt AS timestamptz), CAST(:beforeId AS uuid))' : ''}
            ORDER BY created_at DESC, id DESC
            LIMIT :limit`,
          {
            replacements: {
              orgId: c.var.organization.id,
              status: status ?? null,
              beforeAt: before?.[0] ?? null,
              beforeId: before?.[1] ?? null,
              limit: limit + 1,
            },
            type: QueryTypes.SELECT,
          },
        );
        const { items, nextCursor } = page(rows, limit, (row) => [row.cursor_at, row.id]);
        const byId = new Map(
          (await Invitation.findAll({ where: { id: items.map((row) => row.id) } })).map((i) => [i.id, i]),
        );
        return c.json(
          {
            items: items.flatMap((row) => {
              const invitation = byId.get(row.id);
              return invitation ? [serialize(invitation)] : [];
            }),
            nextCursor,
          },
          200,
        );
      },
    )
    .openapi(
      orgRoute('admin', {
        method: 'get',
        path: '/v1/organizations/{orgId}/invitations/{id}',
        tags: ['invitations'],
        summary: 'One invitation',
        request: { params: invitationParams },
        responses: {
          200: jsonResponse(InvitationSchema, 'The invitation'),
          422: problems[422],
        },
      }),
      async (c) => {
        const { id } = c.req.valid('param');
        return c.json(serialize(await findInOrganization(c.var.organization.id, id)), 200);
      },
    )
    .openapi(
      orgRoute('admin', {
        method: 'post',
        path: '/v1/organizations/{orgId}/invitations/{id}/resend',
        tags: ['invitations'],
        summary: 'Send the invitation email again (same link, same expiry)',
        request: { params: invitationParams },
        responses: {
          202: jsonResponse(InvitationAcceptedSchema, 'Another email is on its way'),
          409: problems[409],
          422: problems[422],
        },
      }),
      async (c) => {
        const { id } = c.req.valid('param');
        const invitation = await findInOrganization(c.var.organization.id, id);
        const notOpen = () =>
          new ProblemError(409, `The invitation is ${invitation.status}; create a new invitation instead.`);
        if (!OPEN_STATUSES.includes(invitation.status)) throw notOpen();
        if ((await signalWorkflow(invitation, invitationResendSignal)) === 'not-running') throw notOpen();
        await recordAudit({
          actorUserId: c.var.user.id,
          action: 'invitation.resent',
          entityType: 'invitation',
          entityId: invitation.id,
          organizationId: invitation.organizationId,
        });
        return c.json(
          acceptedBody(config, serialize(invitation), invitation.workflowId ?? '', selfPath(invitation)),
          202,
        );
      },
    )
    .openapi(
      orgRoute('admin', {
        method: 'delete',
        path: '/v1/organizations/{orgId}/invitations/{id}',
        tags: ['invitations'],
        summary: 'Revoke an open invitation; its link stops working at once',
        request: { params: invitationParams },
        responses: {
          202: jsonResponse(InvitationAcceptedSchema, 'Revoked'),
          409: problems[409],
          422: problems[422],
        },
      }),
      async (c) => {
        const { id } = c.req.valid('param');
        const invitation = await sequelize.transaction(async (transaction) => {
          const row = await Invitation.findOne({
            where: { id, organizationId: c.var.organization.id },
            lock: transaction.LOCK.UPDATE,
            transaction,
          });
          if (!row) throw new ProblemError(404, `Invitation ${id} was not found.`);
          if (!OPEN_STATUSES.includes(row.status)) {
            throw new ProblemError(409, `The invitation is already ${row.status}.`);
          }
          await row.update({ status: 'revoked' }, { transaction });
          await recordAudit(
            {
              actorUserId: c.var.user.id,
              action: 'invitation.revoked',
              entityType: 'invitation',
              entityId: row.id,
              organizationId: row.organizationId,
            },
            transaction,
          );
          return row;
        });
        // The row is already revoked (accept answers 410); the signal only ends the waiting workflow.
        await signalWorkflow(invitation, invitationRevokedSignal).catch((error) =>
          c.var.logger.warn(
            { err: error, invitationId: id },
            'could not signal revoke; the workflow ends at expiry',
          ),
        );
        return c.json(
          acceptedBody(config, serialize(invitation), invitation.workflowId ?? '', selfPath(invitation)),
          202,
        );
      },
    )
    .openapi(
      createRoute({
        method: 'post',
        path: '/v1/invitations/accept',
        tags: ['invitations'],
        summary: 'Accept an invitation: creates the account (or adds the membership) and logs in',
        request: { body: jsonBody(AcceptInvitationSchema) },
        responses: {
          201: jsonResponse(AcceptedInvitationSchema, 'Joined the organization'),
          400: problems[400],
          401: problems[401],
          410: problems[410],
          422: problems[422],
        },
      }),
      async (c) => {
        const { token, name, password } = c.req.valid('json');
        let claims: Awaited<ReturnType<typeof verifyInvitationToken>>;
        try {
          claims = await verifyInvitationToken(token, config.AUTH_JWT_SECRET);
        } catch (error) {
          if (!(error instanceof InvalidInvitationTokenError)) throw error;
          if (error.reason === 'expired') throw new ProblemError(410, error.message);
          throw new ProblemError(400, error.message);
        }
        const badToken = () => new ProblemError(400, 'The invitation token is not valid.');
        // Hash outside the transaction: scrypt is slow and must not hold row locks.
        const newPasswordHash = await hashPassword(password);

        const accept = () =>
          sequelize.transaction(async (transaction) => {
            const invitation = await Invitation.findByPk(claims.invitationId, {
              lock: transaction.LOCK.UPDATE,
              transaction,
            });
            if (
              !invitation ||
              invitation.tokenId !== claims.tokenId ||
              invitation.organizationId !== claims.organizationId ||
              invitation.email !== claims.email
            ) {
              throw badToken();
            }
            if (!OPEN_STATUSES.includes(invitation.status)) {
              throw new ProblemError(
                410,
                invitation.status === 'accepted'
                  ? 'This invitation was already used; log in instead.'
                  : `This invitation is no longer valid (${invitation.status}); ask for a new one.`,
              );
            }
            if (new Date(invitation.expiresAt).getTime() <= Date.now()) {
              throw new ProblemError(410, 'This invitation has expired; ask for a new one.');
            }
            let user = await User.findOne({ where: { email: invitation.email }, transaction });
            if (user) {
              // The address already has an account: joining needs its password, never replaces it.
              if (!(await verifyPassword(password, user.passwordHash))) {
                throw new ProblemError(
                  401,
                  'This email already has an account; enter that account password to accept.',
                );
              }
            } else {
              user = await User.create(
                { email: invitation.email, name, passwordHash: newPasswordHash },
                { transaction },
              );
            }
            await Membership.findOrCreate({
              where: { organizationId: invitation.organizationId, userId: user.id },
              defaults: { organizationId: invitation.organizationId, userId: user.id, role: invitation.role },
              transaction,
            });
            await invitation.update({ status: 'accepted', acceptedAt: new Date() }, { transaction });
            await recordAudit(
              {
                actorUserId: user.id,
                action: 'invitation.accepted',
                entityType: 'invitation',
                entityId: invitation.id,
                organizationId: invitation.organizationId,
              },
              transaction,
            );
            return { user, invitation };
          });
        // Two invitations for one new address accepted at the same instant: the loser retries once
        // and then finds the account the winner created.
        const { user, invitation } = await accept().catch((error) => {
          if (error instanceof UniqueConstraintError) return accept();
          throw error;
        });

        await signalWorkflow(invitation, invitationAcceptedSignal).catch((error) =>
          c.var.logger.warn({ err: error, invitationId: invitation.id }, 'could not signal accept'),
        );
        const accessToken = await signAccessToken(
          { userId: user.id },
          { secret: config.AUTH_JWT_SECRET, expiresInSeconds: config.ACCESS_TOKEN_EXPIRE },
        );
        return c.json(
          {
            user: { id: user.id, email: user.email, name: user.name },
            organizationId: invitation.organizationId,
            role: invitation.role,
            accessToken,
            tokenType: 'Bearer' as const,
            expiresIn: config.ACCESS_TOKEN_EXPIRE,
          },
          201,
        );
      },
    );
}
