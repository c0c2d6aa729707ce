import type { Migration } from '../migrator';

/**
 * `employees.last_screened_at` (docs/spec.md §10): when the person was last compared against the
 * whole of a loaded exclusion list — set by each chunk of a person, import, organization or full
 * rescreen in the chunk's transaction (db/screening-store.ts `screenChunk`). A list update's
 * rescreen of only its added records does not move it. Null: never screened, which the screening
 * report shows as `not_screened`.
 * Existing people get the start of the latest succeeded run that covered them.
 */
export const up: Migration = async ({ context: sql }) => {
  await sql.query(`
ALTER TABLE employees ADD COLUMN last_screened_at timestamptz;
UPDATE employees e SET last_screened_at = r.started_at
FROM (
  SELECT e2.id, max(r.started_at) AS started_at
  FROM employees e2 JOIN screening_runs r
    ON r.status = 'succeeded' AND r.trigger <> 'source_update'
   AND (r.organization_id = e2.organization_id OR r.organization_id IS NULL)
   AND r.started_at >= e2.created_at
  GROUP BY e2.id
) r
WHERE r.id = e.id;
`);
};

export const down: Migration = async ({ context: sql }) => {
  await sql.query('ALTER TABLE employees DROP COLUMN IF EXISTS last_screened_at;');
};
