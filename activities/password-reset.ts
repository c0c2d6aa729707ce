import { findPasswordResetForEmail } from '../db/password-reset-store';
import { resetToken } from '../lib/reset-tokens';
import type { ActivityDeps } from './deps';
import { createEmailActivities } from './email';

function formatExpiry(at: Date): string {
  return `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** The password-reset email; its link's token is derived here from the reset id, never in history. */
export function createPasswordResetActivities(deps: ActivityDeps) {
  const { config, sequelize } = deps;
  const { sendEmail } = createEmailActivities(deps);

  return {
    /** Sends the reset link unless the reset was used or has expired meanwhile. */
    async sendPasswordResetEmail(input: { resetId: string }): Promise<{ sent: boolean }> {
      const reset = await findPasswordResetForEmail(sequelize, input.resetId);
      if (!reset || reset.used_at || reset.expires_at.getTime() <= Date.now()) return { sent: false };
      const token = resetToken(reset.id, config.AUTH_JWT_SECRET);
      await sendEmail({
        template: 'password-reset',
        to: reset.email,
        data: {
          resetUrl: `${config.VUE_APP_URI}/reset-password?token=${encodeURIComponent(token)}`,
          expiresAt: formatExpiry(reset.expires_at),
        },
        related: { type: 'password_reset', id: reset.id },
        idempotencyKey: `password-reset/${reset.id}`,
      });
      return { sent: true };
    },
  };
}
