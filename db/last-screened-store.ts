import type { ScopeSql } from './screening-match-sql';
import { type Db, execute } from './sql';

/**
 * When each person was last compared against the whole of a loaded exclusion list (docs/spec.md
 * §10): `employee_last_screened`, one narrow row per person (migration 1880), so a full rescreen
 * never rewrites the wide employees rows. The stamps are written here; the stores that read people
 * (db/people-store.ts, db/people-report-store.ts, db/exclusion-status-sql.ts) read them through
 * the SQL below.
 */

/** The person `alias` (a row of employees)'s last screening as a timestamptz expression, null if never. */
export const lastScreenedAtSql = (alias: string) =>
  `(SELECT ls.screened_at FROM employee_last_screened ls WHERE ls.employee_id = ${alias}.id)`;

/** Whether the person `alias` was compared against a whole loaded list since their last change. */
export const screenedSinceChangeSql = (alias: string) =>
  `EXISTS (SELECT 1 FROM employee_last_screened ls
    WHERE ls.employee_id = ${alias}.id AND ls.screened_at >= ${alias}.updated_at)`;

/**
 * Stamps the active people of one screened chunk (the same range and scope the screening statement
 * read), inside the chunk's transaction.
 */
export async function markPeopleScreened(
  db: Db,
  scope: Pick<ScopeSql, 'employees' | 'bind'>,
  chunk: { after: string; upto: string | null },
): Promise<void> {
  await execute(
    db,
    `INSERT INTO employee_last_screened AS ls (employee_id, screened_at)
     SELECT e.id, now() FROM employees e
     WHERE e.status = 'active' AND e.id > $after::uuid AND ($upto::uuid IS NULL OR e.id <= $upto::uuid)
       AND ${scope.employees}
     ON CONFLICT (employee_id) DO UPDATE SET screened_at = excluded.screened_at`,
    { ...scope.bind, after: chunk.after, upto: chunk.upto },
  );
}
