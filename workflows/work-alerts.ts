import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  patched,
  proxyActivities,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index';
import { PATIENT_RETRY } from '../lib/retry-policy';
import { WORK_ALERT_AFTER_SECONDS, type WorkAlertKind, type WorkAlertState } from '../lib/workflow-contracts';

const alerts = proxyActivities<Activities>({ startToCloseTimeout: '1 minute', retry: PATIENT_RETRY });

// SendGrid 429/5xx back off; a rejected address is not retried. An alert nobody received is still
// in the run's status.
const email = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: {
    initialInterval: '5 seconds',
    backoffCoefficient: 2,
    maximumInterval: '10 minutes',
    maximumAttempts: 8,
    nonRetryableErrorTypes: ['EmailRejected', 'InvalidEmailTemplateData'],
  },
});

const WHAT: Record<WorkAlertKind, string> = {
  'exclusion-screening': 'An exclusion screening',
  'oig-sync': 'The OIG exclusion list sync',
  'exclusion-source-sync': 'An exclusion list sync',
};

export interface WorkAlertOptions {
  kind: WorkAlertKind;
  organizationId: string | null;
  alertAfterSeconds?: number;
}

/** `Type: message` of what ended the run. */
function reasonOf(error: unknown): string {
  const cause = error instanceof ActivityFailure && error.cause ? error.cause : error;
  if (cause instanceof ApplicationFailure) return `${cause.type ?? 'Error'}: ${cause.message}`;
  return cause instanceof Error ? cause.message : String(cause);
}

async function raise(options: WorkAlertOptions, state: WorkAlertState, reason: string | null) {
  const recorded = await alerts.recordWorkAlert({
    kind: options.kind,
    state,
    organizationId: options.organizationId,
    reason,
  });
  const { workflowId, runId } = workflowInfo();
  await Promise.allSettled(
    recorded.recipients.map((to) =>
      email.sendEmail({
        template: 'work-alert',
        to,
        data: { what: WHAT[options.kind], state, workflowId, link: recorded.temporalUiUrl },
        // One email per run, state and admin: retries and replays never send twice.
        idempotencyKey: `work-alert/${workflowId}/${runId}/${state}/${to}`,
      }),
    ),
  );
}

/**
 * Runs `work`; if it is still going after `alertAfterSeconds` (30 minutes: an outage it keeps
 * retrying), and again if it fails, the run's alert is recorded — shown in its status — and
 * emailed to platform admins (docs/spec.md §12). A run that finishes after all clears its
 * `retrying` alert. Executions started before this existed replay without it.
 */
export async function withWorkAlerts<T>(options: WorkAlertOptions, work: () => Promise<T>): Promise<T> {
  if (!patched('work-alerts')) return work();
  const timer = new CancellationScope();
  const alarm = timer
    .run(() => sleep((options.alertAfterSeconds ?? WORK_ALERT_AFTER_SECONDS) * 1000))
    .then(
      () => true,
      () => false,
    );
  const running = work();
  let retrying = false;
  try {
    retrying = await Promise.race([
      running.then(
        () => false,
        () => false,
      ),
      alarm,
    ]);
    if (retrying) await raise(options, 'retrying', null);
    return await running;
  } catch (error) {
    if (!isCancellation(error)) {
      await CancellationScope.nonCancellable(() => raise(options, 'failed', reasonOf(error)));
    }
    throw error;
  } finally {
    timer.cancel();
    if (retrying) await CancellationScope.nonCancellable(() => alerts.clearWorkAlert());
  }
}
