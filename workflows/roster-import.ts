import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  ParentClosePolicy,
  patched,
  proxyActivities,
  startChild,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index';
import {
  OrganizationIdAttribute,
  RosterKindAttribute,
  screeningSearchAttributes,
} from '../lib/search-attributes';
import {
  type RosterImportInput,
  type RosterImportSummary,
  SCREENING_WORKFLOW_TYPE,
  type ScreeningScope,
  screeningWorkflowId,
} from '../lib/workflow-contracts';

const db = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    maximumAttempts: 10,
  },
});

// Reading a big file takes minutes; the heartbeat both detects a dead worker and delivers cancellation.
const reader = proxyActivities<Activities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '30 seconds',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 10,
  },
});

/**
 * roster-import/<importId>: prepare → stream and commit the rows batch by batch → (replace) deactivate
 * the missing → succeeded; then screen the people it inserted or changed.
 * On a file-level problem: mark failed with the reason. On cancel: stop between batches, mark cancelled.
 */
export async function rosterImport({ importId, batchSize }: RosterImportInput): Promise<RosterImportSummary> {
  let summary: RosterImportSummary;
  try {
    const prepared = await db.prepareRosterImport(importId);
    // Operators filter the Web UI by organization and roster (docs/spec.md §12); a new command, so patched.
    if (patched('search-attributes')) {
      upsertSearchAttributes([
        { key: OrganizationIdAttribute, value: prepared.organizationId },
        { key: RosterKindAttribute, value: prepared.kind },
      ]);
    }
    const today = new Date().toISOString().slice(0, 10);
    const read = await reader.importRosterRows(importId, { batchSize, today });
    summary = read.cancelled
      ? await db.markRosterImportCancelled(importId)
      : await db.finishRosterImport(importId);
  } catch (error) {
    if (isCancellation(error)) {
      await CancellationScope.nonCancellable(async () => {
        await screenChanges(await db.markRosterImportCancelled(importId));
      });
      throw error;
    }
    await screenChanges(await db.markRosterImportFailed(importId, failureReason(error)));
    throw error;
  }
  await screenChanges(summary);
  return summary;
}

function failureReason(error: unknown): string {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  if (cause instanceof ApplicationFailure && cause.nonRetryable) return cause.message;
  return `The import stopped after repeated errors: ${(cause as Error)?.message ?? String(cause)}`;
}

/** Employees/caregivers this import inserted or changed go to exclusion screening (docs/spec.md §4.5). */
async function screenChanges(summary: RosterImportSummary): Promise<void> {
  if (!summary.screen) return;
  const scope: ScreeningScope = {
    kind: 'import',
    organizationId: summary.organizationId,
    importId: summary.importId,
  };
  try {
    await startChild(SCREENING_WORKFLOW_TYPE, {
      workflowId: screeningWorkflowId('import', summary.importId),
      args: [scope],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      typedSearchAttributes: patched('search-attributes') ? screeningSearchAttributes(scope) : undefined,
    });
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
  }
}
