/**
 * The Temporal contract of the exclusion lists (docs/spec.md §8): the one sync workflow every list
 * (the LEIE included) runs through, and the watch that emails platform admins, beside
 * lib/workflow-contracts.ts, whose LEIE ids it keeps. Like it, this module imports nothing else.
 */

import {
  OIG_SCHEDULE_ID,
  type OigBaseline,
  oigManualSyncWorkflowId,
  oigScheduledSyncWorkflowId,
} from './workflow-contracts';

export const EXCLUSION_SOURCE_SYNC_WORKFLOW_TYPE = 'exclusionSourceSync';
/** One Temporal Schedule per enabled source; the LEIE keeps `oig-daily-sync` (docs/spec.md §8). */
export const exclusionSourceScheduleId = (sourceId: string) =>
  sourceId === 'leie' ? OIG_SCHEDULE_ID : `exclusion-source-sync-${sourceId}`;
/**
 * From the source id and the trigger: concurrent manual requests join the running sync; the
 * Schedule appends its fire time. The LEIE keeps the ids of its former own workflow (`oig-sync/…`),
 * so a request joins a sync started before the LEIE moved to this workflow.
 */
export const exclusionSourceSyncWorkflowId = (sourceId: string, trigger: 'schedule' | 'manual') => {
  if (sourceId === 'leie')
    return trigger === 'schedule' ? oigScheduledSyncWorkflowId() : oigManualSyncWorkflowId();
  return `exclusion-source-sync/${sourceId}/${trigger === 'schedule' ? 'scheduled' : 'manual'}`;
};

export interface ExclusionSourceSyncInput {
  sourceId: string;
  trigger: 'schedule' | 'manual';
  /** Import even when the file is the one last imported, and past the 90 % guard. */
  force?: boolean;
  /** Seconds before a sync still going counts as retrying (WORK_ALERT_AFTER_SECONDS). */
  alertAfterSeconds?: number;
}

/** The check a source sync records: `imported` (with the swap), `unchanged` or `failed`. */
export interface SourceCheckRecord {
  checkId: string;
  sourceId: string;
  trigger: 'schedule' | 'manual';
  workflowId: string;
  /** Workflow start (epoch ms): the check's duration runs from here to the moment it is recorded. */
  startedAt: number;
  sha256?: string | null;
  archiveKey?: string | null;
  etag?: string | null;
  lastModified?: string | null;
  /** The list's own date: the SAM extract's file name (…_YYDDD.CSV), else the Last-Modified date. */
  sourceUpdatedOn?: string | null;
  rejectedRows?: number | null;
  /** LEIE: dates that were not valid (the row kept). */
  invalidFields?: number | null;
  /** What the check should say without failing: the OIG page's date unreadable, sample data. */
  warning?: string | null;
  error?: string | null;
}

export interface SourceImportInput {
  check: SourceCheckRecord;
  force: boolean;
  /** The LEIE: the last good list the workflow compared the page's date with (its ETag, its hash). */
  baseline?: OigBaseline | null;
}

/** What an attempt learnt about the file, for the check (a failed one too). */
export interface SourceFileFacts {
  sha256: string | null;
  archiveKey: string | null;
  rejectedRows: number | null;
  etag: string | null;
  lastModified: string | null;
  sourceUpdatedOn: string | null;
  /** LEIE: dates that were not valid (the row kept). */
  invalidFields?: number | null;
}

export type SourceImport =
  | ({ outcome: 'same-file' } & SourceFileFacts)
  | ({ outcome: 'imported'; rowCount: number; added: number; removed: number } & SourceFileFacts);

export interface ExclusionSourceSyncResult {
  checkId: string;
  status: 'unchanged' | 'imported';
  rowCount: number | null;
  added: number;
  removed: number;
  rejectedRows: number;
  /** The LEIE: the OIG page's date was unreadable, or the list is the generated sample. */
  warning?: string | null;
  /** The rescreen of the added keys (and of matches whose record left), when the list changed. */
  rescreenWorkflowId: string | null;
}

/** The Schedule of the watch that emails platform admins about failed or stale lists. */
export const EXCLUSION_SOURCE_WATCH_SCHEDULE_ID = 'exclusion-source-watch';
export const EXCLUSION_SOURCE_WATCH_WORKFLOW_TYPE = 'exclusionSourceWatch';

/** A list that is `failed` or `stale`, and the check that opened that episode (its alert key). */
export interface ExclusionSourceAlert {
  sourceId: string;
  sourceName: string;
  state: 'failed' | 'stale';
  detail: string;
  episodeCheckId: string;
}
