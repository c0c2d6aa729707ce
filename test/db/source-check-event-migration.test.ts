import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { QueryTypes } from 'sequelize';
import { createMigrator } from '../../db/migrator';
import { useMigrationDatabase } from '../support/migration-database';

/** Migration 1920: a check recorded and then given its counts in one transaction is announced once. */
describe('migration 1920: one source.check live event per check', () => {
  const database = useMigrationDatabase('ale_migration_1920', '1910-name-function-fast-paths');
  const MIGRATION = '1920-source-check-event-once';

  /** How many source.check events an import's writes of one check publish, for each table. */
  async function eventsOfOneImport(): Promise<{ leie: number; sam: number }> {
    const db = database();
    const leie = randomUUID();
    const sam = randomUUID();
    await db.transaction(async (transaction) => {
      const run = (sql: string) => db.query(sql, { transaction, bind: { leie, sam } });
      await run(
        `INSERT INTO oig_exclusions_check (id, trigger, status, row_count) VALUES ($leie, 'manual', 'imported', 1)`,
      );
      await run(`UPDATE oig_exclusions_check SET added = 1, removed = 0 WHERE id = $leie`);
      await run(
        `INSERT INTO exclusion_source_checks (id, source, trigger, status, row_count) VALUES ($sam, 'sam', 'manual', 'imported', 1)`,
      );
      await run(`UPDATE exclusion_source_checks SET added = 1, removed = 0 WHERE id = $sam`);
    });
    // A change of status is announced again.
    await db.query(`UPDATE exclusion_source_checks SET status = 'failed' WHERE id = $sam`, { bind: { sam } });
    const count = async (id: string) =>
      (
        await db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM live_events WHERE type = 'source.check' AND subject_id = $id`,
          { type: QueryTypes.SELECT, bind: { id } },
        )
      )[0]?.n ?? 0;
    return { leie: await count(leie), sam: await count(sam) };
  }

  it('announces a check when recorded and when its status changes, not when its counts are written; down and up again', async () => {
    assert.deepEqual(await eventsOfOneImport(), { leie: 2, sam: 3 }, 'before: every write announced');
    await createMigrator(database()).up({ to: MIGRATION });
    assert.deepEqual(await eventsOfOneImport(), { leie: 1, sam: 2 });
    await createMigrator(database()).down({ to: MIGRATION });
    assert.deepEqual(await eventsOfOneImport(), { leie: 2, sam: 3 });
    await createMigrator(database()).up({ to: MIGRATION });
    assert.deepEqual(await eventsOfOneImport(), { leie: 1, sam: 2 });
  });
});
