import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index';

const db = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 10,
  },
});

// SendGrid 429/5xx back off; a rejected address (EmailRejected) is not retried.
const email = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: {
    initialInterval: '5 seconds',
    backoffCoefficient: 2,
    maximumInterval: '10 minutes',
    maximumAttempts: 12,
    nonRetryableErrorTypes: ['EmailRejected', 'InvalidEmailTemplateData'],
  },
});

/**
 * exclusion-source-watch (docs/spec.md §8), run by the Schedule `exclusion-source-watch`: finds the
 * lists that are `failed` or `stale` and emails every platform admin once per episode — the episode's
 * check id is in each email's idempotency key, so later runs send nothing new until the episode ends
 * and another begins. Covers the LEIE too, so its sync needs no change.
 */
export async function exclusionSourceWatch(): Promise<{ alerts: number; emails: number }> {
  const { alerts, recipients } = await db.listExclusionSourceAlerts();
  let emails = 0;
  const undelivered: string[] = [];
  for (const alert of alerts) {
    const sends = await Promise.allSettled(
      recipients.map((to) =>
        email.sendEmail({
          template: 'exclusion-source-alert',
          to,
          data: { sourceName: alert.sourceName, state: alert.state, detail: alert.detail },
          related: { type: 'exclusion_source_check', id: alert.episodeCheckId },
          idempotencyKey: `exclusion-source-alert/${alert.sourceId}/${alert.state}/${alert.episodeCheckId}/${to}`,
        }),
      ),
    );
    emails += sends.filter((send) => send.status === 'fulfilled').length;
    if (recipients.length > 0 && sends.every((send) => send.status === 'rejected'))
      undelivered.push(alert.sourceId);
  }
  if (undelivered.length > 0) {
    throw ApplicationFailure.nonRetryable(
      `No alert about ${undelivered.join(', ')} could be delivered; the next watch retries.`,
      'ExclusionSourceAlertUndelivered',
    );
  }
  return { alerts: alerts.length, emails };
}
