import { CHECK_COLUMNS, type OigCheckRow } from './exclusion-list-store';
import { type Db, query } from './sql';

/**
 * The LEIE's versions over time, as the screening report reads them (docs/spec.md §10): the
 * imported checks of oig_exclusions_check, whose statements otherwise live in
 * db/exclusion-list-store.ts.
 */

/**
 * The list versions in force at some moment of [start, end), oldest first: the last import before
 * `start` (in force when the period began) and every import within the period.
 */
export function listImportsInForce(db: Db, start: Date, end: Date): Promise<OigCheckRow[]> {
  return query<OigCheckRow>(
    db,
    `(SELECT ${CHECK_COLUMNS} FROM oig_exclusions_check
       WHERE status = 'imported' AND checked_at <= $start ORDER BY checked_at DESC, id DESC LIMIT 1)
     UNION ALL
     (SELECT ${CHECK_COLUMNS} FROM oig_exclusions_check
       WHERE status = 'imported' AND checked_at > $start AND checked_at < $end)
     ORDER BY checked_at, id`,
    { start, end },
  );
}
