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
import { screeningSearchAttributes } from '../lib/search-attributes';
import { SCREENING_WORKFLOW_TYPE, type ScreeningScope, screeningWorkflowId } from '../lib/workflow-contracts';

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

// Idempotent writes of the check row: retried patiently (docs/spec.md §12).
const db = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/**
 * exclusion-source-sync (docs/spec.md §8): import the source's list in one activity → an identical
 * file records `unchanged` → otherwise the swap recorded `imported` with rows, added, removed and
 * rejected rows → rescreen the added keys and resolve matches whose record left (a child workflow).
 * On failure: record a `failed` check with the reason (the list in force is untouched) and fail.
 */
export async function exclusionSourceSync(
  input: ExclusionSourceSyncInput,
): Promise<ExclusionSourceSyncResult> {
  const force = input.force ?? false;
  const check: SourceCheckRecord = {
    checkId: uuid4(),
    sourceId: input.sourceId,
    trigger: input.trigger,
    workflowId: workflowInfo().workflowId,
    startedAt: Date.now(),
  };
  try {
    const imported = await importer.importExclusionSource({ check, force });
    const { outcome, ...facts } = imported;
    if (outcome === 'same-file') {
      await db.recordExclusionSourceCheck({ ...check, ...facts, status: 'unchanged' });
      return result(check, 'unchanged', {});
    }
    const { rowCount, added, removed, rejectedRows } = imported;
    const rescreenWorkflowId = added + removed > 0 ? await startRescreen(check) : null;
    return result(check, 'imported', {
      rowCount,
      added,
      removed,
      rejectedRows: rejectedRows ?? 0,
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

/** The rescreen of the keys this sync added (and of the matches whose record left), fire-and-forget. */
async function startRescreen(check: SourceCheckRecord): Promise<string> {
  const workflowId = screeningWorkflowId('source-import', check.checkId);
  const scope: ScreeningScope = { kind: 'source-import', sourceId: check.sourceId, checkId: check.checkId };
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
function fileFacts(error: unknown): Partial<SourceFileFacts> {
  const cause = error instanceof ActivityFailure ? error.cause : undefined;
  const facts =
    cause instanceof ApplicationFailure ? (cause.details?.[0] as Partial<SourceFileFacts>) : undefined;
  if (!facts || typeof facts !== 'object') return {};
  const { sha256, archiveKey, rejectedRows, etag, lastModified, sourceUpdatedOn } = facts;
  return { sha256, archiveKey, rejectedRows, etag, lastModified, sourceUpdatedOn };
}

/**
 * `Type: message` of the failure that ended the sync, for the check row. A timeout (a worker lost
 * mid-download, heartbeats missed) says so, with the last attempt's cause when there is one.
 */
function failureReason(error: unknown): string {
  const cause = error instanceof ActivityFailure && error.cause ? error.cause : error;
  if (cause instanceof ApplicationFailure) return `${cause.type ?? 'Error'}: ${cause.message}`;
  const inner = (cause as Error)?.cause as Error | undefined;
  const message = (cause as Error)?.message ?? String(cause);
  return inner?.message ? `${message} (${inner.message})` : message;
}
