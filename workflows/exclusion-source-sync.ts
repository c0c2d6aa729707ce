import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  ParentClosePolicy,
  patched,
  proxyActivities,
  startChild,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index';
import { EXCLUSION_SOURCE_FAILURE_TYPES } from '../domain/exclusion-sources/failures';
import type {
  ExclusionSourceSyncInput,
  ExclusionSourceSyncResult,
  SourceCheckRecord,
  SourceFileFacts,
} from '../lib/exclusion-source-contract';
import { PATIENT_RETRY } from '../lib/retry-policy';
import { screeningSearchAttributes } from '../lib/search-attributes';
import {
  type OigBaseline,
  SCREENING_WORKFLOW_TYPE,
  type ScreeningScope,
  screeningWorkflowId,
} from '../lib/workflow-contracts';
import { withWorkAlerts } from './work-alerts';

// The one-pass import (download → archive → COPY → swap). It heartbeats every second whatever the
// download does, so a killed worker is noticed within the heartbeat timeout; a stalled download is
// abandoned by the activity itself (EXCLUSION_SOURCE_DOWNLOAD_STALL_TIMEOUT) and retried. A few
// spaced attempts, then the check fails with the reason (the next scheduled run tries again). A file
// that can never be imported (HTML, not a ZIP, missing column, < 90 %…) is not retried.
const importer = proxyActivities<Activities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '20 seconds',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 3,
    nonRetryableErrorTypes: [...EXCLUSION_SOURCE_FAILURE_TYPES, 'ExclusionSourceNotConfigured'],
  },
});

// The LEIE's one-pass import (its rows keep their own store, oig_employees_exclusion): its Postgres
// and S3 work is idempotent, so an outage is retried as long as it lasts (docs/spec.md §12); a
// refused file is non-retryable and any other error stops after a few attempts
// (workers/patient-retries.ts). A killed worker is noticed within the heartbeat timeout.
export const leieImporter = proxyActivities<Activities>({
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '15 seconds',
  retry: PATIENT_RETRY,
});

// The OIG page (docs/spec.md §4.4): a few spaced attempts, then the check fails with the reason
// (the next daily run tries again).
export const site = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 3, maximumAttempts: 3 },
});

// Idempotent reads and writes of the check rows: retried patiently (docs/spec.md §12).
const db = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/**
 * exclusion-source-sync (docs/spec.md §8), every list's one sync: the LEIE first reads the OIG
 * page's "last update" date and stops `unchanged` when it is the last import's (§4.4) → import the
 * list in one activity (each list's rows in its store) → an identical file records `unchanged` →
 * otherwise the swap recorded `imported` with rows, added, removed and rejected rows → rescreen the
 * added keys and resolve matches whose record left (a child workflow). On failure: record a `failed`
 * check with the reason (the list in force is untouched) and fail. A run still going after 30 min,
 * or failed, alerts platform admins (docs/spec.md §12; patched inside withWorkAlerts).
 */
export function exclusionSourceSync(input: ExclusionSourceSyncInput): Promise<ExclusionSourceSyncResult> {
  return withWorkAlerts(
    {
      kind: input.sourceId === 'leie' ? 'oig-sync' : 'exclusion-source-sync',
      organizationId: null,
      alertAfterSeconds: input.alertAfterSeconds,
    },
    () => sync(input),
  );
}

async function sync(input: ExclusionSourceSyncInput): Promise<ExclusionSourceSyncResult> {
  const force = input.force ?? false;
  const leie = input.sourceId === 'leie';
  const check: SourceCheckRecord = {
    checkId: uuid4(),
    sourceId: input.sourceId,
    trigger: input.trigger,
    workflowId: workflowInfo().workflowId,
    startedAt: Date.now(),
  };
  const unchanged = async (facts: Partial<SourceFileFacts>) => {
    await db.recordExclusionSourceCheck({ ...check, ...facts, status: 'unchanged' });
    return result(check, 'unchanged', { warning: check.warning ?? null });
  };
  try {
    let baseline: OigBaseline | null | undefined;
    if (leie) {
      const [page, found] = await Promise.all([site.readOigPage(), db.findOigBaseline()]);
      baseline = found;
      Object.assign(check, { sourceUpdatedOn: page.sourceUpdatedOn, warning: page.warning });
      if (!force && baseline && page.sourceUpdatedOn && page.sourceUpdatedOn === baseline.sourceUpdatedOn) {
        return await unchanged({});
      }
    }
    const imported = await (leie ? leieImporter : importer).importExclusionSource({
      check,
      force,
      ...(leie ? { baseline } : {}),
    });
    const { outcome, ...facts } = imported;
    if (outcome === 'same-file') return await unchanged(facts);
    const { rowCount, added, removed, rejectedRows } = imported;
    const rescreenWorkflowId =
      added + removed > 0 ? await startRescreen(check.sourceId, check.checkId) : null;
    return result(check, 'imported', {
      rowCount,
      added,
      removed,
      rejectedRows: rejectedRows ?? 0,
      warning: check.warning ?? null,
      rescreenWorkflowId,
    });
  } catch (error) {
    Object.assign(check, fileFacts(error));
    await CancellationScope.nonCancellable(() =>
      db.recordExclusionSourceCheck({ ...check, status: 'failed', error: failureReason(error) }),
    );
    throw error;
  }
}

/**
 * The rescreen of the keys this sync added (and of the matches whose record left), fire-and-forget.
 * The LEIE's changes are in its own store (oig_exclusion_changes), read by the `oig-import` scope.
 */
export async function startRescreen(sourceId: string, checkId: string): Promise<string> {
  const scope: ScreeningScope =
    sourceId === 'leie' ? { kind: 'oig-import', checkId } : { kind: 'source-import', sourceId, checkId };
  const workflowId = screeningWorkflowId(scope.kind, checkId);
  await startChild(SCREENING_WORKFLOW_TYPE, {
    workflowId,
    args: [scope],
    parentClosePolicy: ParentClosePolicy.ABANDON,
    // Search attributes for the Web UI (docs/spec.md §12); patched, as the command changes.
    typedSearchAttributes: patched('search-attributes') ? screeningSearchAttributes(scope) : undefined,
  });
  return workflowId;
}

function result(
  check: SourceCheckRecord,
  status: ExclusionSourceSyncResult['status'],
  fields: Partial<ExclusionSourceSyncResult>,
): ExclusionSourceSyncResult {
  return {
    checkId: check.checkId,
    status,
    rowCount: null,
    added: 0,
    removed: 0,
    rejectedRows: 0,
    rescreenWorkflowId: null,
    ...fields,
  };
}

/** What a failed import knew about the file (sha256, archive key, rejected rows), if anything. */
export function fileFacts(error: unknown): Partial<SourceFileFacts> {
  const cause = error instanceof ActivityFailure ? error.cause : undefined;
  const facts =
    cause instanceof ApplicationFailure ? (cause.details?.[0] as Partial<SourceFileFacts>) : undefined;
  if (!facts || typeof facts !== 'object') return {};
  const { sha256, archiveKey, rejectedRows, etag, lastModified, sourceUpdatedOn } = facts;
  const known = { sha256, archiveKey, rejectedRows, etag, lastModified, sourceUpdatedOn };
  // A fact the attempt did not learn keeps what the workflow knew (the LEIE page's date).
  return Object.fromEntries(Object.entries(known).filter(([, value]) => value !== undefined));
}

/**
 * `Type: message` of the failure that ended the sync, for the check row. A timeout (a worker lost
 * mid-download, heartbeats missed) says so, with the last attempt's cause when there is one.
 */
export function failureReason(error: unknown): string {
  const cause = error instanceof ActivityFailure && error.cause ? error.cause : error;
  if (cause instanceof ApplicationFailure) return `${cause.type ?? 'Error'}: ${cause.message}`;
  const inner = (cause as Error)?.cause as Error | undefined;
  const message = (cause as Error)?.message ?? String(cause);
  return inner?.message ? `${message} (${inner.message})` : message;
}
