import { lastScreenedAtSql, screenedSinceChangeSql } from './last-screened-store';

/**
 * A person's `exclusionStatus` (docs/spec.md §10) as SQL text over `exclusion_matches`, for the
 * stores that read people (db/people-store.ts filters the list by it, db/screening-store.ts reports
 * it): `excluded` with a confirmed match, `possible_match` with one open or under review (dismissed
 * and resolved matches do not count); otherwise `clear` only when the person was compared against a
 * whole loaded list since their last change (db/last-screened-store.ts), else `not_screened` — empty is not
 * clear (docs/features.md, "Empty is not clear").
 */

export const EXCLUSION_STATUSES = ['clear', 'possible_match', 'excluded', 'not_screened'] as const;
export type ExclusionStatus = (typeof EXCLUSION_STATUSES)[number];

const PENDING = `('open', 'under_review')`;

/** The status of the person `alias` (a row of employees) as a CASE expression. */
export function exclusionStatusSql(alias: string): string {
  return `CASE
    WHEN EXISTS (SELECT 1 FROM exclusion_matches xm WHERE xm.employee_id = ${alias}.id AND xm.status = 'confirmed')
      THEN 'excluded'
    WHEN EXISTS (SELECT 1 FROM exclusion_matches xm WHERE xm.employee_id = ${alias}.id AND xm.status IN ${PENDING})
      THEN 'possible_match'
    WHEN ${screenedSinceChangeSql(alias)} THEN 'clear'
    ELSE 'not_screened' END`;
}

/**
 * A condition keeping the people of `alias` whose status is `status`, in the organization bound to
 * `orgParam`. The rare statuses are driven by the organization's matches (index on organization,
 * status), so a page of `excluded` people never walks the whole roster.
 */
export function exclusionStatusCondition(alias: string, status: ExclusionStatus, orgParam: string): string {
  const withStatus = (statuses: string) =>
    `${alias}.id IN (SELECT xm.employee_id FROM exclusion_matches xm
       WHERE xm.organization_id = ${orgParam} AND xm.status IN ${statuses})`;
  const confirmed = `EXISTS (SELECT 1 FROM exclusion_matches xm WHERE xm.employee_id = ${alias}.id AND xm.status = 'confirmed')`;
  switch (status) {
    case 'excluded':
      return withStatus(`('confirmed')`);
    case 'possible_match':
      return `${withStatus(PENDING)} AND NOT ${confirmed}`;
    case 'clear':
    case 'not_screened': {
      const screened =
        status === 'clear' ? screenedSinceChangeSql(alias) : `NOT ${screenedSinceChangeSql(alias)}`;
      return `${screened} AND NOT EXISTS (SELECT 1 FROM exclusion_matches xm
        WHERE xm.employee_id = ${alias}.id AND xm.status IN ('open', 'under_review', 'confirmed'))`;
    }
  }
}

/** A person's result in the screening report (docs/spec.md §10). */
export const SCREENING_RESULTS = [
  'clear',
  'possible_match',
  'confirmed',
  'dismissed',
  'not_screened',
] as const;
export type ScreeningResult = (typeof SCREENING_RESULTS)[number];

/**
 * The report's result of the person `alias` as a CASE expression: a confirmed match, then one open
 * or under review, then a dismissed one, and otherwise `clear` once compared against a whole loaded
 * list (db/last-screened-store.ts) or `not_screened`.
 */
export function screeningResultSql(alias: string): string {
  const has = (statuses: string) =>
    `EXISTS (SELECT 1 FROM exclusion_matches xm WHERE xm.employee_id = ${alias}.id AND xm.status IN ${statuses})`;
  return `CASE
    WHEN ${has(`('confirmed')`)} THEN 'confirmed'
    WHEN ${has(PENDING)} THEN 'possible_match'
    WHEN ${has(`('dismissed')`)} THEN 'dismissed'
    WHEN ${lastScreenedAtSql(alias)} IS NOT NULL THEN 'clear'
    ELSE 'not_screened' END`;
}
