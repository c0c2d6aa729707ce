import { ActivityFailure, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index';
import type { PasswordResetWorkflowInput, PasswordResetWorkflowResult } from '../lib/workflow-contracts';

// SendGrid 429/5xx are retried with backoff for about as long as the link lives (RESET_TOKEN_EXPIRE,
// an hour by default); a rejection or bad template data fails at once.
const email = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '5 minutes',
    maximumAttempts: 15,
    nonRetryableErrorTypes: ['EmailRejected', 'InvalidEmailTemplateData'],
  },
});

/** passwordResetEmail: send the reset link once (docs/spec.md §11). */
export async function passwordResetEmail({
  resetId,
}: PasswordResetWorkflowInput): Promise<PasswordResetWorkflowResult> {
  try {
    const { sent } = await email.sendPasswordResetEmail({ resetId });
    return { outcome: sent ? 'sent' : 'closed' };
  } catch (error) {
    if (error instanceof ActivityFailure) return { outcome: 'failed' };
    throw error;
  }
}
