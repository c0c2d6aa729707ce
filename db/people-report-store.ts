import { type ScreeningResult, screeningResultSql } from './exclusion-status-sql';
import { lastScreenedAtSql } from './last-screened-store';
import { type Db, query } from './sql';

/**
 * How the screening report reads people (docs/spec.md §10): the employees active in a period with
 * their result, a page at a time, and the count of each result. The other statements on employees
 * live in db/people-store.ts.
 */

/** A person as the screening report lists them (docs/spec.md §10): no date of birth. */
export interface ReportPersonRow {
  id: string;
  kind: 'employee' | 'caregiver';
  external_id: string | null;
  first_name: string;
  middle_name: string | null;
  last_name: string;
  last_screened_at: Date | null;
  result: ScreeningResult;
}

/**
 * The people active at some moment of [start, end): created before its end, and active now or
 * changed (deactivated) since its start — the roster keeps no history of statuses.
 */
const ACTIVE_IN_PERIOD = `e.organization_id = $organizationId AND e.created_at < $end
  AND (e.status = 'active' OR e.updated_at >= $start)`;

/** One page of the report's people in (kind, external_id, id) order, after the `after` id's position. */
export function reportPeoplePage(
  db: Db,
  organizationId: string,
  period: { start: Date; end: Date },
  page: { limit: number; after?: [kind: string, externalId: string, id: string] },
): Promise<ReportPersonRow[]> {
  const { after } = page;
  return query<ReportPersonRow>(
    db,
    `SELECT e.id, e.kind, e.external_id, e.first_name, e.middle_name, e.last_name,
       ${lastScreenedAtSql('e')} AS last_screened_at,
       ${screeningResultSql('e')} AS result
     FROM employees e
     WHERE ${ACTIVE_IN_PERIOD}
       ${after ? "AND (e.kind, coalesce(e.external_id, ''), e.id) > ($afterKind, $afterExternalId, $afterId::uuid)" : ''}
     ORDER BY e.kind, coalesce(e.external_id, ''), e.id
     LIMIT $limit`,
    {
      organizationId,
      start: period.start,
      end: period.end,
      afterKind: after?.[0] ?? null,
      afterExternalId: after?.[1] ?? null,
      afterId: after?.[2] ?? null,
      limit: page.limit,
    },
  );
}

/** How many of the report's people have each result. */
export async function reportResultCounts(
  db: Db,
  organizationId: string,
  period: { start: Date; end: Date },
): Promise<Record<ScreeningResult, number>> {
  const rows = await query<{ result: ScreeningResult; n: number }>(
    db,
    `SELECT result, count(*)::int AS n FROM (
       SELECT ${screeningResultSql('e')} AS result FROM employees e WHERE ${ACTIVE_IN_PERIOD}) r
     GROUP BY result`,
    { organizationId, start: period.start, end: period.end },
  );
  const counts = { clear: 0, possible_match: 0, confirmed: 0, dismissed: 0, not_screened: 0 };
  for (const row of rows) counts[row.result] = row.n;
  return counts;
}
