/**
 * The monthly rescreen's part of the workflow contract (docs/spec.md §10), beside
 * lib/workflow-contracts.ts: its type, input, result, Schedule and the ids of its children.
 */

import { SCREENING_TRIGGERS, type ScreeningScope, type ScreeningTrigger } from './workflow-contracts';

/** The trigger a run of `scope` records: `monthly` for the monthly rescreen's children. */
export const screeningTriggerOf = (scope: ScreeningScope): ScreeningTrigger =>
  scope.kind === 'organization' && scope.trigger === 'monthly' ? 'monthly' : SCREENING_TRIGGERS[scope.kind];

export const MONTHLY_SCREENING_WORKFLOW_TYPE = 'monthlyScreening';
/** The Temporal Schedule of the full rescreen (MONTHLY_SCREENING_CRON). */
export const MONTHLY_SCREENING_SCHEDULE_ID = 'monthly-screening';
/** Resumes after continue-as-new: the last organization id handled, and the counts so far. */
export type MonthlyScreeningInput = { after?: string; screened?: number; failed?: number };
/** Organizations whose rescreen finished, and those whose rescreen failed (on their own runs). */
export type MonthlyScreeningResult = { screened: number; failed: number };
/** The rescreen of one organization within the monthly run `monthlyWorkflowId` (unique per schedule fire). */
export const monthlyScreeningChildId = (monthlyWorkflowId: string, organizationId: string) =>
  `exclusion-screening/monthly/${organizationId}/${monthlyWorkflowId}`;
