import { randomUUID } from 'node:crypto';
import type { Client, SignalDefinition } from '@temporalio/client';
import type { Sequelize } from 'sequelize';
import { recordAudit } from '../db/audit-store';
import {
  findOrganizationInvitation,
  type InvitationRow,
  listOpenInvitationsForEmail,
  markInvitationAccepted,
  markInvitationRevoked,
  OPEN_INVITATION_STATUSES,
  withInsertedInvitation,
  withLockedInvitation,
} from '../db/invitation-store';
import { isOrganizationClosedForWrites } from '../db/organization-store';
import type { Db } from '../db/sql';
import {
  ensureMembership,
  findUserByEmail,
  insertUser,
  isMemberByEmail,
  ROLE_RANK,
  type Role,
  type UserRow,
} from '../db/user-store';
import { withWorkflowIntents } from '../db/workflow-outbox-store';
import {
  ConflictError,
  DomainError,
  ForbiddenError,
  GoneError,
  InvalidInputError,
  NotFoundError,
  UnauthenticatedError,
} from '../domain/errors';
import { passwordProblem } from '../domain/password-policy';
import type { Config } from '../lib/config';
import { InvalidInvitationTokenError, verifyInvitationToken } from '../lib/invitation-tokens';
import type { Logger } from '../lib/logger';
import { hashPassword, NO_PASSWORD, verifyPassword } from '../lib/passwords';
import {
  INVITATION_WORKFLOW_TYPE,
  type InvitationWorkflowInput,
  invitationAcceptedSignal,
  invitationResendSignal,
  invitationRevokedSignal,
  invitationWorkflowId,
} from '../lib/workflow-contracts';
import { deliverWorkflowIntentsOf, recordWorkflowIntent } from './workflow-outbox';

/**
 * Invitations (docs/spec.md §4.3): the API records and closes them here; the invitation workflow
 * sends the email, reminds once and expires them.
 */

export interface InvitationServiceDeps {
  config: Config;
  sequelize: Sequelize;
  temporal: Client;
}

/** Who acts: the user and their role in the organization (platform admins act as owners). */
export interface InvitationActor {
  userId: string;
  role: Role;
  /** The request's logger, so a failure's log line carries its request id. */
  logger: Logger;
}

/** The invitation's organization is being deleted or deleted (not retried as a lost account race). */
class OrganizationClosedError extends ConflictError {}

const isOpen = (invitation: InvitationRow) => OPEN_INVITATION_STATUSES.includes(invitation.status);

/** Records what `actorUserId` did to the invitation (ids and enums only). */
const auditInvitation = (
  db: Db,
  actorUserId: string,
  action: string,
  invitation: Pick<InvitationRow, 'id' | 'organization_id'>,
  details?: Record<string, unknown>,
) =>
  recordAudit(db, {
    actorUserId,
    action,
    entityType: 'invitation',
    entityId: invitation.id,
    organizationId: invitation.organization_id,
    details,
  });

export function createInvitationService({ config, sequelize, temporal }: InvitationServiceDeps) {
  const outbox = { sequelize, temporal, config };

  /** Records, in `tx`, a signal to the invitation's workflow (docs/spec.md §12: the outbox delivers it). */
  const recordSignal = (tx: Db, invitation: InvitationRow, signal: SignalDefinition<[]>) =>
    recordWorkflowIntent(tx, invitationWorkflowId(invitation.id), {
      kind: 'signal',
      workflowId: invitation.workflow_id ?? invitationWorkflowId(invitation.id),
      signal: signal.name,
      signalArgs: [],
    });

  /** Delivers what the invitation's entity has waiting; the outcome of `intentId` when it was delivered now. */
  const deliver = async (invitationId: string, logger: Logger, intentId?: string) =>
    (await deliverWorkflowIntentsOf({ ...outbox, logger }, invitationWorkflowId(invitationId))).get(
      intentId ?? '',
    );

  async function findInOrganization(organizationId: string, id: string) {
    const invitation = await findOrganizationInvitation(sequelize, organizationId, id);
    if (!invitation) throw new NotFoundError(`Invitation ${id} was not found.`);
    return invitation;
  }

  return {
    findInOrganization,

    /** Records the invitation and starts its workflow, which sends the email. */
    async invite(
      actor: InvitationActor,
      organizationId: string,
      input: { email: string; role: Role },
    ): Promise<InvitationRow> {
      const email = input.email.toLowerCase();
      const { role } = input;
      if (ROLE_RANK[role] > ROLE_RANK[actor.role]) {
        throw new ForbiddenError(`An ${actor.role} cannot invite an ${role}; ask an owner.`);
      }
      if (await isMemberByEmail(sequelize, organizationId, email)) {
        throw new ConflictError(`${email} is already a member of this organization.`);
      }

      const id = randomUUID();
      const workflowId = invitationWorkflowId(id);
      const invitation = await withInsertedInvitation(
        sequelize,
        {
          id,
          organization_id: organizationId,
          email,
          role,
          invited_by: actor.userId,
          expires_at: new Date(Date.now() + config.INVITATION_TOKEN_EXPIRE * 1000),
          token_id: randomUUID(),
          workflow_id: workflowId,
        },
        async (created, tx) => {
          await auditInvitation(tx, actor.userId, 'invitation.created', created, { role });
          const workflowInput: InvitationWorkflowInput = { invitationId: id };
          await recordWorkflowIntent(tx, workflowId, {
            kind: 'start',
            workflowType: INVITATION_WORKFLOW_TYPE,
            workflowId,
            taskQueue: config.TEMPORAL_TASK_QUEUE,
            args: [workflowInput],
          });
        },
      );
      if (!invitation) {
        throw new ConflictError(`An invitation for ${email} is still open; resend or revoke it.`);
      }
      await deliver(id, actor.logger);
      return invitation;
    },

    /** Asks the workflow for another email (same link, same expiry). */
    async resend(actor: InvitationActor, organizationId: string, id: string): Promise<InvitationRow> {
      const invitation = await findInOrganization(organizationId, id);
      const notOpen = () =>
        new ConflictError(`The invitation is ${invitation.status}; create a new invitation instead.`);
      if (!isOpen(invitation)) throw notOpen();
      const intentId = await withWorkflowIntents(sequelize, async (tx) => {
        await auditInvitation(tx, actor.userId, 'invitation.resent', invitation);
        return recordSignal(tx, invitation, invitationResendSignal);
      });
      // Delivered now, a workflow that has already ended says the invitation cannot be resent.
      if ((await deliver(id, actor.logger, intentId)) === 'not-running') throw notOpen();
      return invitation;
    },

    /** Revokes an open invitation: its link stops working at once. */
    async revoke(actor: InvitationActor, organizationId: string, id: string): Promise<InvitationRow> {
      const invitation = await withLockedInvitation(sequelize, id, async (row, tx) => {
        if (row?.organization_id !== organizationId)
          throw new NotFoundError(`Invitation ${id} was not found.`);
        if (!isOpen(row)) throw new ConflictError(`The invitation is already ${row.status}.`);
        const revoked = await markInvitationRevoked(tx, row.id);
        await auditInvitation(tx, actor.userId, 'invitation.revoked', row);
        // The row is revoked (accept answers 410); the signal only ends the waiting workflow.
        await recordSignal(tx, row, invitationRevokedSignal);
        return revoked;
      });
      await deliver(id, actor.logger);
      return invitation;
    },

    /**
     * Accepts every open invitation of an address whose owner proved it through single sign-on
     * (docs/spec.md §11): creates the account (with no password: one can be set through a reset)
     * and adds each membership. Undefined when the address has no open invitation.
     */
    async acceptForVerifiedEmail(email: string, name: string, logger: Logger): Promise<UserRow | undefined> {
      const open = await listOpenInvitationsForEmail(sequelize, email);
      let user: UserRow | undefined;
      for (const candidate of open) {
        const acceptOne = () =>
          withLockedInvitation(sequelize, candidate.id, async (invitation, tx) => {
            if (!invitation || !isOpen(invitation) || invitation.expires_at.getTime() <= Date.now()) {
              return undefined;
            }
            // docs/spec.md §12: no membership is added to an organization being deleted or deleted.
            if (await isOrganizationClosedForWrites(tx, invitation.organization_id)) return undefined;
            const account =
              (await findUserByEmail(tx, invitation.email)) ??
              (await insertUser(tx, { email: invitation.email, name, password_hash: NO_PASSWORD }));
            await ensureMembership(tx, {
              organization_id: invitation.organization_id,
              user_id: account.id,
              role: invitation.role,
            });
            const accepted = await markInvitationAccepted(tx, invitation.id);
            await auditInvitation(tx, account.id, 'invitation.accepted', invitation, { via: 'sso' });
            await recordSignal(tx, invitation, invitationAcceptedSignal);
            return { account, accepted };
          });
        // Two sign-ins creating the one account at the same instant: the loser finds the winner's.
        const outcome = await acceptOne().catch((error) => {
          if (error instanceof ConflictError) return acceptOne();
          throw error;
        });
        if (!outcome) continue;
        user = outcome.account;
        await deliver(outcome.accepted.id, logger);
      }
      return user;
    },

    /**
     * Accepts the invitation of `token`: creates the account (or, for an address that has one,
     * checks its password) and adds the membership.
     */
    async accept(
      input: { token: string; name: string; password: string },
      logger: Logger,
    ): Promise<{ user: UserRow; invitation: InvitationRow }> {
      const { name, password } = input;
      let claims: Awaited<ReturnType<typeof verifyInvitationToken>>;
      try {
        claims = await verifyInvitationToken(input.token, config.AUTH_JWT_SECRET);
      } catch (error) {
        if (!(error instanceof InvalidInvitationTokenError)) throw error;
        if (error.reason === 'expired') throw new GoneError(error.message);
        throw new DomainError(error.message);
      }
      // Hash outside the transaction: scrypt is slow and must not hold row locks.
      const newPasswordHash = await hashPassword(password);

      const accept = () =>
        withLockedInvitation(sequelize, claims.invitationId, async (invitation, tx) => {
          if (
            !invitation ||
            invitation.token_id !== claims.tokenId ||
            invitation.organization_id !== claims.organizationId ||
            invitation.email !== claims.email
          ) {
            throw new DomainError('The invitation token is not valid.');
          }
          if (!isOpen(invitation)) {
            throw new GoneError(
              invitation.status === 'accepted'
                ? 'This invitation was already used; log in instead.'
                : `This invitation is no longer valid (${invitation.status}); ask for a new one.`,
            );
          }
          if (invitation.expires_at.getTime() <= Date.now()) {
            throw new GoneError('This invitation has expired; ask for a new one.');
          }
          // docs/spec.md §12: a write to an organization being deleted or deleted is 409.
          if (await isOrganizationClosedForWrites(tx, invitation.organization_id)) {
            throw new OrganizationClosedError(
              'The organization of this invitation is being deleted or deleted; it takes no new members.',
            );
          }
          let user = await findUserByEmail(tx, invitation.email);
          if (user) {
            // The address already has an account: joining needs its password, never replaces it.
            if (!(await verifyPassword(password, user.password_hash))) {
              throw new UnauthenticatedError(
                'This email already has an account; enter that account password to accept.',
              );
            }
          } else {
            // A new account's password meets the policy (docs/spec.md §11); a 422 leaves the link usable.
            const problem = passwordProblem(password, invitation.email);
            if (problem) {
              throw new InvalidInputError('The password is not acceptable.', [
                { path: 'password', message: problem },
              ]);
            }
            user = await insertUser(tx, { email: invitation.email, name, password_hash: newPasswordHash });
          }
          await ensureMembership(tx, {
            organization_id: invitation.organization_id,
            user_id: user.id,
            role: invitation.role,
          });
          const accepted = await markInvitationAccepted(tx, invitation.id);
          await auditInvitation(tx, user.id, 'invitation.accepted', invitation);
          await recordSignal(tx, invitation, invitationAcceptedSignal);
          return { user, invitation: accepted };
        });
      // Two invitations for one new address accepted at the same instant: the loser retries once
      // and then finds the account the winner created.
      const accepted = await accept().catch((error) => {
        if (error instanceof ConflictError && !(error instanceof OrganizationClosedError)) return accept();
        throw error;
      });

      await deliver(accepted.invitation.id, logger);
      return accepted;
    },
  };
}

export type InvitationService = ReturnType<typeof createInvitationService>;
