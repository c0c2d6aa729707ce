import { CHECK_COLUMNS, type OigCheckRow } from './exclusion-list-store';
import { type Db, query } from './sql';

/**
 * The lists' versions over time, as the screening report reads them (docs/spec.md §10): the
 * imported checks of oig_exclusions_check (the LEIE) and of exclusion_source_checks (the other
 * lists), whose statements otherwise live in db/exclusion-list-store.ts and
 * db/exclusion-source-store.ts.
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

/** A version of a non-LEIE list, as the report shows it. */
export interface SourceVersionRow {
  id: string;
  source_updated_on: string | null;
  row_count: number | null;
  sha256: string | null;
}

/** As listImportsInForce, for one non-LEIE source. */
export function listSourceImportsInForce(
  db: Db,
  source: string,
  start: Date,
  end: Date,
): Promise<SourceVersionRow[]> {
  const columns = 'id, checked_at, source_updated_on::text AS source_updated_on, row_count, sha256';
  return query<SourceVersionRow>(
    db,
    `SELECT id, source_updated_on, row_count, sha256 FROM (
       (SELECT ${columns} FROM exclusion_source_checks
         WHERE source = $source AND status = 'imported' AND checked_at <= $start
         ORDER BY checked_at DESC, id DESC LIMIT 1)
       UNION ALL
       (SELECT ${columns} FROM exclusion_source_checks
         WHERE source = $source AND status = 'imported' AND checked_at > $start AND checked_at < $end)
     ) v ORDER BY checked_at, id`,
    { source, start, end },
  );
}
