import { CancellationScope, proxyActivities, uuid4, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index';
import { PATIENT_RETRY } from '../lib/retry-policy';
import type { OigCheckRecord, OigSyncInput, OigSyncResult } from '../lib/workflow-contracts';
import {
  failureReason,
  fileFacts,
  leieImporter as importer,
  site,
  startRescreen,
} from './exclusion-source-sync';
import { withWorkAlerts } from './work-alerts';

// The OIG site's and the one-pass import's activity options are the one sync's, for the LEIE.
const db = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  retry: PATIENT_RETRY,
});

/**
 * KEPT FOR EXECUTIONS STARTED BEFORE THE LEIE MOVED TO THE ONE SYNC WORKFLOW: nothing starts
 * `oigSync` any more (the Schedule `oig-daily-sync` and `POST /v1/oig/sync` start
 * `exclusionSourceSync` for `leie`, workflows/exclusion-source-sync.ts); it stays registered, its
 * commands unchanged, so a run started before finishes and its history replays
 * (test/histories/oigSync-*.json). Delete it, and the
 * activities only it calls (`recordOigCheck`, `dropOigStaging`, `importOigList`), once no such run
 * can be open (docs/architecture.md, "Kept for running executions").
 *
 * oig-sync: read the page's "last update" date → unchanged? record and stop → download the CSV,
 * archive it, COPY what changed into staging and swap it in atomically (with the added/removed
 * keys), in one activity → rescreen.
 * On failure: record a `failed` check with the reason (the current list is untouched) and fail.
 */
export function oigSync(input: OigSyncInput): Promise<OigSyncResult> {
  return withWorkAlerts(
    { kind: 'oig-sync', organizationId: null, alertAfterSeconds: input.alertAfterSeconds },
    () => sync(input),
  );
}

async function sync(input: OigSyncInput): Promise<OigSyncResult> {
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
    const [page, baseline] = await Promise.all([site.readOigPage(), db.findOigBaseline()]);
    check.sourceUpdatedOn = page.sourceUpdatedOn;
    check.warning = page.warning;
    if (!force && baseline && page.sourceUpdatedOn && page.sourceUpdatedOn === baseline.sourceUpdatedOn) {
      return await unchanged({});
    }

    const imported = await importer.importOigList({ check, baseline, force });
    if (imported.outcome === 'not-modified') {
      const { etag, lastModified } = imported;
      return await unchanged({ etag, lastModified, sha256: baseline?.sha256 });
    }
    if (imported.outcome === 'same-file') {
      const { etag, lastModified, sha256 } = imported;
      return await unchanged({ etag, lastModified, sha256 });
    }
    const { etag, lastModified, sha256, archiveKey, invalidFields } = imported;
    Object.assign(check, { etag, lastModified, sha256, archiveKey, invalidFields });
    const { rowCount, added, removed, updated } = imported;
    const rescreenWorkflowId = added + removed > 0 ? await startRescreen('leie', check.checkId) : null;
    return result(check, 'imported', {
      rowCount,
      added,
      removed,
      updated,
      warning: check.warning ?? null,
      rescreenWorkflowId,
    } as Partial<OigSyncResult>);
  } catch (error) {
    Object.assign(check, fileFacts(error));
    await CancellationScope.nonCancellable(async () => {
      await db.recordOigCheck({ ...check, status: 'failed', error: failureReason(error) });
      // Nothing to drop since the one-pass import; the step stays so running syncs replay.
      await db.dropOigStaging();
    });
    throw error;
  }
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
