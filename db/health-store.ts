import { type Db, queryOne } from './sql';

/** The statements that only ask whether the database is there and migrated. */

/** One round trip: throws when Postgres does not answer. */
export async function pingDatabase(db: Db): Promise<void> {
  await queryOne(db, 'SELECT 1');
}

/** How many migrations umzug has applied (its `schema_migrations` table). */
export async function countAppliedMigrations(db: Db): Promise<number> {
  const row = await queryOne<{ n: number }>(db, 'SELECT count(*)::int AS n FROM schema_migrations');
  return row?.n ?? 0;
}
