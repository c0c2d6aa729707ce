import {
  ApplicationFailure,
  CancellationScope,
  patched,
  proxyActivities,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index';
import { screeningScopeProblem } from '../domain/screening-scope';
import { PATIENT_RETRY } from '../lib/retry-policy';
import type { ScreeningOptions, ScreeningResult, ScreeningScope } from '../lib/workflow-contracts';
import { withWorkAlerts } from './work-alerts';

// Postgres work, idempotent: retried as long as an outage lasts (docs/spec.md §12).
const db = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: PATIENT_RETRY,
});

// Chunked and heartbeating: a lost worker is noticed within the heartbeat timeout and the retry
// resumes after the last committed chunk.
const matching = proxyActivities<Activities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '2 minutes',
  retry: PATIENT_RETRY,
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
 * exclusion screening: validate the scope → record the run and the list version it uses → resolve
 * matches whose exclusion lapsed → match the scope's people against the list, chunk by chunk, in
 * Postgres → tell each organization's owners and admins once about its new open matches → record
 * how the run ended (`incomplete` when no list was loaded, `failed` with the reason).
 *
 * `matchesSeen` counts known matches found again (not the new ones); `alertsSent` counts
 * organizations alerted. An alert nobody could receive leaves the matches un-alerted for the next
 * run and fails this one with `ExclusionAlertUndelivered`, so it shows in the Web UI.
 */
export async function exclusionScreening(
  scope: ScreeningScope,
  options: ScreeningOptions = {},
): Promise<ScreeningResult> {
  const problem = screeningScopeProblem(scope);
  if (problem) throw ApplicationFailure.nonRetryable(problem, 'InvalidScreeningScope');
  // Executions started before runs were recorded replay without the two recording activities.
  if (!patched('screening-runs')) return screen(scope);
  const organizationId = 'organizationId' in scope ? scope.organizationId : null;
  return withWorkAlerts(
    { kind: 'exclusion-screening', organizationId, alertAfterSeconds: options.alertAfterSeconds },
    () => recordedScreening(scope),
  );
}

/** The screening between the records of its run (docs/spec.md §10). */
async function recordedScreening(scope: ScreeningScope): Promise<ScreeningResult> {
  const run = await db.startScreeningRun(scope);
  let result: ScreeningResult;
  try {
    result = await screen(scope);
  } catch (error) {
    const cause = (error as Error).cause as Error | undefined;
    // Recorded even when the screening was cancelled: the run must not stay `running`.
    await CancellationScope.nonCancellable(() =>
      db.finishScreeningRun({
        runId: run.runId,
        status: 'failed',
        error: cause?.message ?? (error as Error).message,
        matchesOpened: null,
        matchesResolved: null,
      }),
    );
    throw error;
  }
  await db.finishScreeningRun({
    runId: run.runId,
    status: run.incompleteReason ? 'incomplete' : 'succeeded',
    error: run.incompleteReason,
    matchesOpened: result.matchesOpened,
    matchesResolved: result.matchesResolved,
  });
  return result;
}

async function screen(scope: ScreeningScope): Promise<ScreeningResult> {
  const lapsed = await db.resolveLapsedExclusionMatches(scope);
  const screened = await matching.screenEmployees({ scope });

  const { workflowId, firstExecutionRunId } = workflowInfo();
  let alertsSent = 0;
  const undelivered: string[] = [];
  for (const organizationId of await db.listOrganizationsToAlert(scope)) {
    const alert = await db.prepareExclusionAlert(organizationId);
    if (!alert || alert.recipients.length === 0) continue;
    const sends = await Promise.allSettled(
      alert.recipients.map((to) =>
        email.sendEmail({
          template: 'exclusion-alert',
          to,
          data: {
            organizationName: alert.organizationName,
            count: alert.matchIds.length,
            reviewUrl: alert.reviewUrl,
          },
          related: { type: 'organization', id: organizationId },
          // One email per (run, organization, recipient): retries and replays never send twice.
          idempotencyKey: `exclusion-alert/${workflowId}/${firstExecutionRunId}/${organizationId}/${to}`,
        }),
      ),
    );
    if (sends.some((send) => send.status === 'fulfilled')) {
      await db.markExclusionMatchesAlerted(alert.matchIds);
      alertsSent += 1;
    } else {
      undelivered.push(organizationId);
    }
  }
  if (undelivered.length > 0) {
    throw ApplicationFailure.nonRetryable(
      `No exclusion alert could be delivered to organizations ${undelivered.join(', ')}; the next screening retries.`,
      'ExclusionAlertUndelivered',
    );
  }
  return {
    matchesOpened: screened.opened,
    matchesSeen: screened.matched - screened.opened,
    matchesResolved: lapsed + screened.resolved,
    alertsSent,
  };
}
