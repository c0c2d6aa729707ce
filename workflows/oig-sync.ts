import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  ParentClosePolicy,
  proxyActivities,
  startChild,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index';
import type { OigCheckRecord } from '../activities/oig';
import {
  type OigSyncInput,
  type OigSyncResult,
  SCREENING_WORKFLOW_TYPE,
  type ScreeningScope,
  screeningWorkflowId,
} from './definitions';

// The OIG site: a few spaced attempts, then the check fails with the reason (the next daily run
// tries again). File problems (HTML page, wrong header, 200 MB…) are non-retryable.
const site = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 3, maximumAttempts: 3 },
});

// The COPY heartbeats; a killed worker is noticed within the heartbeat timeout and the retry
// reloads the staging table from the archived file.
const loader = proxyActivities<Activities>({
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '15 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumAttempts: 5 },
});

const db = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    maximumAttempts: 8,
  },
});

/**
 * oig-sync: read the page's "last update" date → unchanged? record and stop → download and archive
 * the CSV → COPY it into staging → swap it in atomically (with the added/removed keys) → rescreen.
 * On failure: record a `failed` check with the reason (the current list is untouched) and fail.
 */
export async function oigSync(input: OigSyncInput): Promise<OigSyncResult> {
  const force = input.force ?? false;
  const check: OigCheckRecord = {
    checkId: uuid4(),
    trigger: input.trigger,
    workflowId: workflowInfo().workflowId,
    startedAt: Date.now(),
    sourceUpdatedOn: null,
  };
  const unchanged = async (fields: Partial<OigCheckRecord>): Promise<OigSyncResult> => {
    await db.recordOigCheck({ ...check, ...fields, status: 'unchanged' });
    return result(check, 'unchanged', { warning: fields.warning ?? null });
  };

  try {
    const page = await site.readOigPage();
    check.sourceUpdatedOn = page.sourceUpdatedOn;
    check.warning = page.warning;
    const baseline = await db.findOigBaseline();
    if (!force && baseline && page.sourceUpdatedOn && page.sourceUpdatedOn === baseline.sourceUpdatedOn) {
      return await unchanged({});
    }

    const download = await site.downloadOigCsv({ sourceUpdatedOn: page.sourceUpdatedOn, baseline, force });
    if (download.outcome === 'not-modified') {
      return await unchanged({
        etag: download.etag,
        lastModified: download.lastModified,
        sha256: baseline?.sha256,
      });
    }
    if (download.outcome === 'same-file') {
      const { etag, lastModified, sha256 } = download;
      return await unchanged({ etag, lastModified, sha256 });
    }
    Object.assign(check, {
      etag: download.etag,
      lastModified: download.lastModified,
      sha256: download.sha256,
      archiveKey: download.archiveKey,
    });

    const staged = await loader.loadOigStaging({ archiveKey: download.archiveKey });
    check.invalidFields = staged.invalidFields;
    const applied = await db.applyOigList(check);
    await CancellationScope.nonCancellable(() => db.dropOigStaging());

    const rescreenWorkflowId =
      applied.added + applied.removed > 0 ? await startRescreen(check.checkId) : null;
    return result(check, 'imported', { ...applied, warning: check.warning ?? null, rescreenWorkflowId });
  } catch (error) {
    await CancellationScope.nonCancellable(async () => {
      await db.recordOigCheck({ ...check, status: 'failed', error: failureReason(error) });
      await db.dropOigStaging();
    });
    throw error;
  }
}

/**
 * The rescreen of the keys this import added or removed (oig_exclusion_changes of the check), by
 * type name and fire-and-forget: it outlives this workflow and its failures are its own.
 */
async function startRescreen(checkId: string): Promise<string> {
  const workflowId = screeningWorkflowId('oig-import', checkId);
  const scope: ScreeningScope = { kind: 'oig-import', checkId };
  await startChild(SCREENING_WORKFLOW_TYPE, {
    workflowId,
    args: [scope],
    parentClosePolicy: ParentClosePolicy.ABANDON,
  });
  return workflowId;
}

function result(
  check: OigCheckRecord,
  status: OigSyncResult['status'],
  fields: Partial<OigSyncResult>,
): OigSyncResult {
  return {
    checkId: check.checkId,
    status,
    rowCount: null,
    added: 0,
    removed: 0,
    warning: null,
    rescreenWorkflowId: null,
    ...fields,
  };
}

/** `Type: message` of the failure that ended the sync, for the check row and GET /v1/oig/status. */
function failureReason(error: unknown): string {
  const cause = error instanceof ActivityFailure && error.cause ? error.cause : error;
  if (cause instanceof ApplicationFailure) return `${cause.type ?? 'Error'}: ${cause.message}`;
  return (cause as Error)?.message ?? String(cause);
}
