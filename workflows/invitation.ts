import {
  ActivityFailure,
  condition,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index';
import { OrganizationIdAttribute } from '../lib/search-attributes';
import {
  type InvitationEmailKind,
  type InvitationWorkflowInput,
  type InvitationWorkflowResult,
  invitationAcceptedSignal,
  invitationResendSignal,
  invitationRevokedSignal,
} from '../lib/workflow-contracts';

const db = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumAttempts: 10 },
});

// SendGrid 429/5xx are retried with exponential backoff (about half an hour in all); a rejection
// (other 4xx) or bad template data fails at once.
const email = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '10 minutes',
    maximumAttempts: 12,
    nonRetryableErrorTypes: ['EmailRejected', 'InvalidEmailTemplateData'],
  },
});

function failureReason(error: ActivityFailure): string {
  return error.cause?.message ?? error.message;
}

/**
 * invitation: send the email → wait for accept / revoke / resend → one reminder if still
 * pending → expire. A send the provider rejects marks the invitation failed with the reason.
 */
export async function invitation({
  invitationId,
}: InvitationWorkflowInput): Promise<InvitationWorkflowResult> {
  let accepted = false;
  let revoked = false;
  let resendsRequested = 0;
  setHandler(invitationAcceptedSignal, () => {
    accepted = true;
  });
  setHandler(invitationRevokedSignal, () => {
    revoked = true;
  });
  setHandler(invitationResendSignal, () => {
    resendsRequested++;
  });

  let emailsSent = 0;
  const result = (outcome: InvitationWorkflowResult['outcome']) => ({ outcome, emailsSent });

  /** 'sent', 'closed' when the row is no longer open, 'failed' once the row is marked failed. */
  async function send(kind: InvitationEmailKind, sequence: number): Promise<'sent' | 'closed' | 'failed'> {
    try {
      const { open } = await email.sendInvitationEmail({ invitationId, kind, sequence });
      if (!open) return 'closed';
      emailsSent++;
      return 'sent';
    } catch (error) {
      if (!(error instanceof ActivityFailure)) throw error;
      await db.markInvitationFailed({ invitationId, reason: failureReason(error) });
      return 'failed';
    }
  }

  const plan = await db.loadInvitationPlan(invitationId);
  // Operators filter the Web UI by organization (docs/spec.md §12); a new command, so patched.
  if (plan.organizationId && patched('search-attributes')) {
    upsertSearchAttributes([{ key: OrganizationIdAttribute, value: plan.organizationId }]);
  }
  if (!plan.open) return result('closed');

  const first = await send('invitation', 0);
  if (first !== 'sent') return result(first);

  const reminderAt = Date.now() + plan.reminderAfterMs;
  let reminderDue = reminderAt < plan.expiresAtMs;
  let resendsDone = 0;
  for (;;) {
    const wakeAt = reminderDue ? reminderAt : plan.expiresAtMs;
    await condition(
      () => accepted || revoked || resendsRequested > resendsDone,
      Math.max(wakeAt - Date.now(), 1),
    );
    if (accepted) return result('accepted');
    if (revoked) return result('revoked');
    let outcome: 'sent' | 'closed' | 'failed';
    if (resendsRequested > resendsDone) {
      resendsDone++;
      outcome = await send('invitation', resendsDone);
    } else if (reminderDue) {
      reminderDue = false;
      outcome = await send('reminder', 0);
    } else {
      const { expired } = await db.expireInvitation(invitationId);
      return result(expired ? 'expired' : 'closed');
    }
    if (outcome !== 'sent') return result(outcome);
  }
}
