import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import type { Sequelize } from 'sequelize';
import {
  changeUserPassword,
  completePasswordReset,
  findPasswordResetForEmail,
  insertPasswordReset,
} from '../db/password-reset-store';
import { findUser, findUserByEmail } from '../db/user-store';
import { withWorkflowIntents } from '../db/workflow-outbox-store';
import { DomainError, GoneError, InvalidInputError } from '../domain/errors';
import { passwordProblem } from '../domain/password-policy';
import type { Config } from '../lib/config';
import type { Logger } from '../lib/logger';
import { hashPassword, verifyPassword } from '../lib/passwords';
import { resetIdOf } from '../lib/reset-tokens';
import {
  PASSWORD_RESET_WORKFLOW_TYPE,
  type PasswordResetWorkflowInput,
  passwordResetWorkflowId,
} from '../lib/workflow-contracts';
import { deliverWorkflowIntentsOf, recordWorkflowIntent } from './workflow-outbox';

/**
 * Password reset and change (docs/spec.md §11). The reset request answers alike, in about the same
 * time, whether or not the address has an account; the email goes out through a workflow
 * (`passwordResetEmail`) and the generic email activity.
 */

/**
 * Every reset request takes at least this long, known address or not: the known one's extra work
 * (a row and its outbox intent; the start runs after the answer) finishes inside it, so the answer's timing tells nothing.
 */
export const RESET_REQUEST_FLOOR_MS = 400;

export interface PasswordServiceDeps {
  config: Config;
  sequelize: Sequelize;
  temporal: Client;
}

/** 422 naming `path` when the password breaks the policy. */
function checkPolicy(password: string, email: string, path: string) {
  const problem = passwordProblem(password, email);
  if (problem) throw new InvalidInputError('The password is not acceptable.', [{ path, message: problem }]);
}

export function createPasswordService({ config, sequelize, temporal }: PasswordServiceDeps) {
  /**
   * Records the reset and the intent to email it in one transaction (docs/spec.md §12: a Temporal
   * outage delays the email, never loses it), then leaves the delivery to run beside the answer:
   * the request waits for nothing that depends on Temporal, so its timing tells nothing either.
   */
  async function startResetEmail(email: string, logger: Logger): Promise<void> {
    const user = await findUserByEmail(sequelize, email);
    if (!user) return;
    const entityKey = `password-reset/${user.id}`;
    await withWorkflowIntents(sequelize, async (tx) => {
      const reset = await insertPasswordReset(
        tx,
        user.id,
        new Date(Date.now() + config.RESET_TOKEN_EXPIRE * 1000),
      );
      const input: PasswordResetWorkflowInput = { resetId: reset.id };
      await recordWorkflowIntent(tx, entityKey, {
        kind: 'start',
        workflowType: PASSWORD_RESET_WORKFLOW_TYPE,
        workflowId: passwordResetWorkflowId(reset.id),
        taskQueue: config.TEMPORAL_TASK_QUEUE,
        args: [input],
      });
    });
    void deliverWorkflowIntentsOf({ config, sequelize, temporal, logger }, entityKey);
  }

  return {
    /** Starts a reset email when the address has an account; otherwise nothing. Same duration either way. */
    async requestReset(email: string, logger: Logger): Promise<void> {
      const started = Date.now();
      await startResetEmail(email.trim().toLowerCase(), logger);
      const left = RESET_REQUEST_FLOOR_MS - (Date.now() - started);
      if (left > 0) await sleep(left);
    },

    /** Sets the new password from a reset link and ends every session of the user. */
    async confirmReset(token: string, password: string): Promise<void> {
      const resetId = resetIdOf(token, config.AUTH_JWT_SECRET);
      if (!resetId) throw new DomainError('The reset token is not valid.');
      const reset = await findPasswordResetForEmail(sequelize, resetId);
      if (!reset) throw new DomainError('The reset token is not valid.');
      if (reset.used_at) throw new GoneError('This reset link was already used; ask for a new one.');
      if (reset.expires_at.getTime() <= Date.now()) {
        throw new GoneError('This reset link has expired; ask for a new one.');
      }
      checkPolicy(password, reset.email, 'password');
      const outcome = await completePasswordReset(sequelize, resetId, await hashPassword(password));
      if (outcome === 'used') throw new GoneError('This reset link was already used; ask for a new one.');
      if (outcome === 'expired') throw new GoneError('This reset link has expired; ask for a new one.');
      if (outcome === 'unknown') throw new DomainError('The reset token is not valid.');
    },

    /** Changes the signed-in user's password and ends their other sessions. */
    async changePassword(
      actor: { userId: string; sessionId: string },
      input: { currentPassword: string; newPassword: string },
    ): Promise<void> {
      const user = await findUser(sequelize, actor.userId);
      if (!user) throw new DomainError('The account no longer exists.');
      if (!(await verifyPassword(input.currentPassword, user.password_hash))) {
        throw new InvalidInputError('The current password is not correct.', [
          { path: 'currentPassword', message: 'is not the current password' },
        ]);
      }
      checkPolicy(input.newPassword, user.email, 'newPassword');
      const hash = await hashPassword(input.newPassword);
      await changeUserPassword(sequelize, user.id, hash, actor.sessionId);
    },

    /** The policy check of a new account's password (invitation accept). */
    checkNewPassword(password: string, email: string, path = 'password') {
      checkPolicy(password, email, path);
    },
  };
}

export type PasswordService = ReturnType<typeof createPasswordService>;
