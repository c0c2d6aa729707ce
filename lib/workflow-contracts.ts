import { defineQuery, defineSignal } from '@temporalio/workflow';

/**
 * The Temporal contract: every type that crosses the workflow boundary (workflow inputs and
 * results, activity inputs and results the workflows read, signals, queries, failure types) and the
 * workflow-id builders. Shared by api/, services/, activities/, workflows/ and tests; it imports
 * nothing of the project, so every one of them can depend on it without pointing up the layers.
 * Ids derive from the business key so a repeated request cannot start a second copy.
 */

export const selfCheckWorkflowId = (checkId: string) => `self-check/${checkId}`;

// ── Work alerts (docs/spec.md §12, workflows/work-alerts.ts): a failed or long-retrying run, shown and emailed.
export type WorkAlertKind = 'exclusion-screening' | 'oig-sync' | 'exclusion-source-sync';
export type WorkAlertState = 'retrying' | 'failed';
/** How long a run may go on before it counts as retrying (workflow inputs shorten it in tests). */
export const WORK_ALERT_AFTER_SECONDS = 30 * 60;
export interface WorkAlertInput {
  kind: WorkAlertKind;
  state: WorkAlertState;
  organizationId: string | null;
  reason: string | null; // null for `retrying`: the activity reads the pending activities
}
/** The platform admins to email; the emails' idempotency keys make a repeat send nothing. */
export interface WorkAlertRecorded {
  recipients: string[];
  temporalUiUrl: string;
}
/** A screening's optional second argument: seconds before a run still going counts as retrying. */
export interface ScreeningOptions {
  alertAfterSeconds?: number;
}

// ── Exclusion screening (docs/spec.md §4.5) ──────────────────────────────────────────────────────────────
// Other workflows start it as a child by type name (parentClosePolicy ABANDON), so they do not
// depend on its module.

export const SCREENING_WORKFLOW_TYPE = 'exclusionScreening';

/** What to screen. Inputs are ids only; the screening reads the people and keys from Postgres. */
export type ScreeningScope =
  /** Manual create/update of these employees. */
  | { kind: 'employees'; organizationId: string; employeeIds: string[] }
  /** Employees/caregivers a roster import inserted or changed (rows whose last_import_id = importId). */
  | { kind: 'import'; organizationId: string; importId: string }
  /** One organization's active people: POST …/exclusion-screenings, or (`monthly`) the monthly rescreen. */
  | { kind: 'organization'; organizationId: string; trigger?: 'monthly' }
  /** Keys an OIG import added or removed (oig_exclusion_changes rows of that check). */
  | { kind: 'oig-import'; checkId: string }
  /** Keys a sync of a non-LEIE source added (exclusion_source_changes rows of that check). */
  | { kind: 'source-import'; sourceId: string; checkId: string }
  /** Everyone against the whole list: the weekly safety net. */
  | { kind: 'all' };

export interface ScreeningResult {
  matchesOpened: number;
  matchesSeen: number;
  matchesResolved: number;
  alertsSent: number;
}

/** docs/spec.md §10's triggers of a screening run. */
export type ScreeningTrigger = 'person_change' | 'import' | 'source_update' | 'manual' | 'monthly';

/**
 * Why each scope runs. The weekly safety net over everyone is the scheduled full rescreen that
 * §10 calls `monthly`.
 */
export const SCREENING_TRIGGERS: Record<ScreeningScope['kind'], ScreeningTrigger> = {
  employees: 'person_change',
  import: 'import',
  organization: 'manual',
  'oig-import': 'source_update',
  'source-import': 'source_update',
  all: 'monthly',
};

/** `running` until it ends; `incomplete` when no list was loaded to screen against. */
export type ScreeningRunStatus = 'running' | 'succeeded' | 'incomplete' | 'failed';

/** What the workflow learns when it records its run: the run's id and whether a list was loaded. */
export interface ScreeningRunStarted {
  runId: string;
  /** Null when a list is loaded; else why the run cannot be complete. */
  incompleteReason: string | null;
}

/** `key` is the business key of the trigger: an import id, a check id, an employee id plus its version… */
export const screeningWorkflowId = (trigger: ScreeningScope['kind'], key: string) =>
  `exclusion-screening/${trigger}/${key}`;

// ── Roster import (docs/spec.md §4.2) ────────────────────────────────────────────────────────────────────

export const ROSTER_IMPORT_WORKFLOW_TYPE = 'rosterImport';

export interface RosterImportInput {
  importId: string;
  /** Rows per transaction; tests lower it to make a file span many batches. */
  batchSize?: number;
}

export type RosterKind = 'employees' | 'caregivers' | 'patients';

export interface ImportCounts {
  total: number;
  inserted: number;
  updated: number;
  unchanged: number;
  deactivated: number;
  rejected: number;
}

/** What the workflow learns about an import: ids, status and counts — never rows. */
export interface RosterImportSummary {
  importId: string;
  organizationId: string;
  kind: RosterKind;
  status: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  rowsProcessed: number;
  counts: ImportCounts;
  /** True when employees/caregivers were inserted or changed for real (not a dry run): screen them. */
  screen: boolean;
}
export const rosterImportWorkflowId = (importId: string) => `roster-import/${importId}`;

// ── Invitations (docs/spec.md §4.3) ──────────────────────────────────────────────────────────────────────

export const invitationWorkflowId = (invitationId: string) => `invitation/${invitationId}`;
export const INVITATION_WORKFLOW_TYPE = 'invitation';

export type InvitationEmailKind = 'invitation' | 'reminder';

export interface InvitationWorkflowInput {
  invitationId: string;
}

export interface InvitationWorkflowResult {
  outcome: 'accepted' | 'revoked' | 'expired' | 'failed' | 'closed';
  emailsSent: number;
}

/** The API committed the acceptance; the workflow stops waiting. */
export const invitationAcceptedSignal = defineSignal('accept');
/** The API marked the invitation revoked; the workflow stops without another email. */
export const invitationRevokedSignal = defineSignal('revoke');
/** An admin asked for the invitation email again. */
export const invitationResendSignal = defineSignal('resend');

// ── Password reset (docs/spec.md §11) ────────────────────────────────────────────────────────────────────
// The API records the reset and starts this workflow; the email activity derives the link's token
// from the reset id, so neither the token nor the address enters history.

export const PASSWORD_RESET_WORKFLOW_TYPE = 'passwordResetEmail';
export const passwordResetWorkflowId = (resetId: string) => `password-reset/${resetId}`;

export interface PasswordResetWorkflowInput {
  resetId: string;
}

export interface PasswordResetWorkflowResult {
  /** `closed` when the reset was used or had expired before the email went out. */
  outcome: 'sent' | 'closed' | 'failed';
}

// ── Organization lifecycle (docs/spec.md §4.1) ───────────────────────────────────────────────────────────
// One entity workflow per organization; the API signals changes with signalWithStart (by type
// name, so api/ does not depend on the workflow module) and the workflow applies them in order.

export const ORGANIZATION_LIFECYCLE_WORKFLOW_TYPE = 'organizationLifecycle';
export const organizationWorkflowId = (organizationId: string) => `organization/${organizationId}`;

/** A change the API recorded in Postgres; the workflow makes the outside world match it. */
export type OrganizationChange =
  /** Provision or change the subdomain: create its record, wait for INSYNC, delete the old one. */
  | { kind: 'ensureSubdomain'; subdomain: string }
  /** Normalize the upload staged at `stagedKey` (AWS_S3_BUCKET_NAME) and make it the logo. */
  | { kind: 'setLogo'; stagedKey: string }
  | { kind: 'removeLogo' }
  /** Delete the DNS record(s) and the logo, then mark the organization deleted. */
  | { kind: 'deprovision'; subdomain: string }
  /** Re-apply the change that failed; `subdomain` (the current one) is re-ensured when none is known. */
  | { kind: 'retry'; subdomain: string };

export const organizationChangeSignal = defineSignal<[OrganizationChange]>('organizationChange');

export interface OrganizationLifecycleSettings {
  /** First wait between GetChange polls; doubles up to the maximum. */
  dnsPollIntervalSeconds: number;
  dnsMaxPollIntervalSeconds: number;
  /** Bound on the wait for INSYNC; past it the step fails with `DnsSyncTimeout`. */
  dnsSyncTimeoutSeconds: number;
  /** Continue-as-new once the history is this long (or when the server suggests it). */
  maxHistoryLength: number;
}

/** Plain JSON only: it crosses continue-as-new. */
export interface OrganizationLifecycleInput {
  organizationId: string;
  /** The record this workflow knows to be live (null before provisioning). */
  liveSubdomain: string | null;
  /** Records that must go: old names after a change, compensations that could not finish. */
  staleSubdomains: string[];
  /** Logo objects that must go once nothing refers to them. */
  staleLogoKeys: string[];
  pending: OrganizationChange[];
  /** The change whose failure left the organization `failed`; `retry` re-applies it. */
  failedChange: OrganizationChange | null;
  settings?: Partial<OrganizationLifecycleSettings>;
}

export type OrganizationLifecycleStep =
  | 'idle'
  | 'upserting-record'
  | 'waiting-for-dns'
  | 'deleting-record'
  | 'storing-logo'
  | 'compensating';

export interface OrganizationLifecycleView {
  step: OrganizationLifecycleStep;
  applying: OrganizationChange['kind'] | null;
  pending: number;
  liveSubdomain: string | null;
  failedChange: OrganizationChange | null;
}

export const organizationStateQuery = defineQuery<OrganizationLifecycleView>('organizationState');

/** The start arguments for an organization that has no running workflow yet. */
export function newOrganizationLifecycleInput(
  organizationId: string,
  liveSubdomain: string | null,
): OrganizationLifecycleInput {
  return {
    organizationId,
    liveSubdomain,
    staleSubdomains: [],
    staleLogoKeys: [],
    pending: [],
    failedChange: null,
  };
}

// ── OIG sync (docs/spec.md §4.4) ─────────────────────────────────────────────────────────────────
// The LEIE syncs through `exclusionSourceSync` (lib/exclusion-source-contract.ts) under these ids;
// the inputs and results below are those of `oigSync`, kept for runs started before (workflows/oig-sync.ts),
// and of the activities both call.

/** The Temporal Schedule that runs the sync daily (OIG_SYNC_CRON). */
export const OIG_SCHEDULE_ID = 'oig-daily-sync';
/** POST /v1/oig/sync: one id, so concurrent requests join the running sync instead of starting another. */
export const oigManualSyncWorkflowId = () => 'oig-sync/manual';
/** The schedule appends the fire time to this id, one run per day. */
export const oigScheduledSyncWorkflowId = () => 'oig-sync/scheduled';

export interface OigSyncInput {
  trigger: 'schedule' | 'manual';
  /** Import even when the page date, ETag or hash say the list is unchanged. */
  force?: boolean;
  /** Seconds before a sync still going counts as retrying (WORK_ALERT_AFTER_SECONDS). */
  alertAfterSeconds?: number;
}

export interface OigSyncResult {
  checkId: string;
  status: 'unchanged' | 'imported';
  rowCount: number | null;
  added: number;
  removed: number;
  warning: string | null;
  /** The rescreen started for the added/removed keys, when there were any. */
  rescreenWorkflowId: string | null;
}

/** The OIG page's "last update" date; a page without a readable date is a warning, not an error. */
export interface OigPage {
  sourceUpdatedOn: string | null;
  warning: string | null;
}

/** What the last good list came from: the latest import, or a later check that verified the same file. */
export interface OigBaseline {
  checkId: string;
  sourceUpdatedOn: string | null;
  etag: string | null;
  lastModified: string | null;
  sha256: string | null;
}

/** The check the sync records: `unchanged`, `imported` (with the swap) or `failed`. */
export interface OigCheckRecord {
  checkId: string;
  trigger: 'schedule' | 'manual';
  workflowId: string;
  /** Workflow start (epoch ms): the check's duration runs from here to the moment it is recorded. */
  startedAt: number;
  sourceUpdatedOn: string | null;
  etag?: string | null;
  lastModified?: string | null;
  sha256?: string | null;
  archiveKey?: string | null;
  warning?: string | null;
  error?: string | null;
  invalidFields?: number | null;
}

export interface OigImportInput {
  check: OigCheckRecord;
  baseline: OigBaseline | null;
  force: boolean;
}

export interface OigImported {
  outcome: 'imported';
  etag: string | null;
  lastModified: string | null;
  sha256: string;
  archiveKey: string;
  rowCount: number;
  added: number;
  removed: number;
  updated: number;
  invalidFields: number;
}

export type OigImport =
  | { outcome: 'not-modified'; etag: string | null; lastModified: string | null }
  | { outcome: 'same-file'; sha256: string; etag: string | null; lastModified: string | null }
  | OigImported;

/** What a failure after the download knows about the file: the workflow records it in the check. */
export interface OigFileFacts {
  etag: string | null;
  lastModified: string | null;
  sha256: string | null;
  archiveKey: string | null;
}

/** The failure type of a sync that classified the file against a list another writer changed since. */
export const OIG_LIST_CHANGED = 'OigListChanged';

/** The LEIE's source id: the OIG sync and its rescreens (other lists carry their own id, §8). */
export const LEIE_SOURCE = 'leie';
