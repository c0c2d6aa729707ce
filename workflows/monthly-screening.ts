import {
  ApplicationFailure,
  ChildWorkflowFailure,
  continueAsNew,
  executeChild,
  ParentClosePolicy,
  proxyActivities,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index';
import {
  type MonthlyScreeningInput,
  type MonthlyScreeningResult,
  monthlyScreeningChildId,
} from '../lib/monthly-screening-contract';
import { screeningSearchAttributes } from '../lib/search-attributes';
import {
  SCREENING_WORKFLOW_TYPE,
  type ScreeningResult,
  type ScreeningScope,
} from '../lib/workflow-contracts';

// One short query; Postgres may be away for a while (docs/spec.md §12): retried without a limit.
const db = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** Organizations per history: a few events each, so a run continues as new well before the limits. */
const ORGANIZATIONS_PER_RUN = 200;
/** Rescreens running at once: a month's run stays short without crowding the database's other work. */
const ORGANIZATIONS_AT_ONCE = 8;

/**
 * The monthly rescreen (docs/spec.md §10), started by the Schedule `monthly-screening`: every
 * active organization → its full rescreen, a child `exclusionScreening` with trigger `monthly`, so
 * each organization has a screening run (and counts) of its own → the next page of organizations in
 * a new run. A few organizations at a time (ORGANIZATIONS_AT_ONCE): one at a time, a run grows
 * with every organization; all at once would crowd the database's other work. A failed rescreen
 * (recorded `failed` on its own run) does not stop the others.
 */
export async function monthlyScreening(input: MonthlyScreeningInput = {}): Promise<MonthlyScreeningResult> {
  let { screened = 0, failed = 0 } = input;
  const organizationIds = await db.listActiveOrganizationIds({
    after: input.after ?? null,
    limit: ORGANIZATIONS_PER_RUN,
  });
  // The first run's id (the schedule's, with its fire time) names every child of this month.
  const monthlyWorkflowId = workflowInfo().workflowId;
  const rescreen = async (organizationId: string): Promise<boolean> => {
    const scope: ScreeningScope = { kind: 'organization', organizationId, trigger: 'monthly' };
    try {
      await executeChild<(scope: ScreeningScope) => Promise<ScreeningResult>>(SCREENING_WORKFLOW_TYPE, {
        workflowId: monthlyScreeningChildId(monthlyWorkflowId, organizationId),
        args: [scope],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        typedSearchAttributes: screeningSearchAttributes(scope),
      });
      return true;
    } catch (error) {
      if (!(error instanceof ChildWorkflowFailure)) throw error;
      return false;
    }
  };
  for (let start = 0; start < organizationIds.length; start += ORGANIZATIONS_AT_ONCE) {
    const batch = organizationIds.slice(start, start + ORGANIZATIONS_AT_ONCE);
    for (const succeeded of await Promise.all(batch.map(rescreen))) {
      if (succeeded) screened += 1;
      else failed += 1;
    }
  }
  const last = organizationIds.at(-1);
  if (organizationIds.length === ORGANIZATIONS_PER_RUN && last) {
    await continueAsNew<typeof monthlyScreening>({ after: last, screened, failed });
  }
  if (screened === 0 && failed > 0) {
    throw ApplicationFailure.nonRetryable(
      `Every monthly rescreen failed (${failed}).`,
      'MonthlyScreeningFailed',
    );
  }
  return { screened, failed };
}
