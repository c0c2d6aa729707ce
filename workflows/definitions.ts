import { defineSignal } from '@temporalio/workflow';

/**
 * Workflow ids, signals, queries and updates shared by the API, the worker and tests.
 * Ids derive from the business key so a repeated request cannot start a second copy.
 */

export const selfCheckWorkflowId = (checkId: string) => `self-check/${checkId}`;

// ── Exclusion screening (SPEC §4.5) ──────────────────────────────────────────────────────────────
// Other workflows start it as a child by type name (parentClosePolicy ABANDON), so they do not
// depend on its module.

export const SCREENING_WORKFLOW_TYPE = 'exclusionScreening';

/** What to screen. Inputs are ids only; the screening reads the people and keys from Postgres. */
export type ScreeningScope =
  /** Manual create/update of these employees. */
  | { kind: 'employees'; organizationId: string; employeeIds: string[] }
  /** Employees/caregivers a roster import inserted or changed (rows whose last_import_id = importId). */
  | { kind: 'import'; organizationId: string; importId: string }
  /** Every active employee/caregiver of one organization (POST …/exclusion-screenings). */
  | { kind: 'organization'; organizationId: string }
  /** Keys an OIG import added or removed (oig_exclusion_changes rows of that check). */
  | { kind: 'oig-import'; checkId: string }
  /** Everyone against the whole list: the weekly safety net. */
  | { kind: 'all' };

export interface ScreeningResult {
  matchesOpened: number;
  matchesSeen: number;
  matchesResolved: number;
  alertsSent: number;
}

/** `key` is the business key of the trigger: an import id, a check id, an employee id plus its version… */
export const screeningWorkflowId = (trigger: ScreeningScope['kind'], key: string) =>
  `exclusion-screening/${trigger}/${key}`;

// ── Roster import (SPEC §4.2) ────────────────────────────────────────────────────────────────────

export const ROSTER_IMPORT_WORKFLOW_TYPE = 'rosterImport';
export const rosterImportWorkflowId = (importId: string) => `roster-import/${importId}`;

// ── Invitations (SPEC §4.3) ──────────────────────────────────────────────────────────────────────

export const invitationWorkflowId = (invitationId: string) => `invitation/${invitationId}`;
export const INVITATION_WORKFLOW_TYPE = 'invitation';

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
