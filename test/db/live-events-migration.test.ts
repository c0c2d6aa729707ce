import assert from 'node:assert/strict';
import { QueryTypes } from 'sequelize';
import { createMigrator } from '../../db/migrator';
import { useMigrationDatabase } from '../support/migration-database';

/** Migration 1600 on a database of its own: up writes events at commit, down removes every trace. */
describe('migration 1600: live events', () => {
  const database = useMigrationDatabase('ale_migration_1600', '1100-screening-runs');
  const count = async (sql: string) =>
    Number((await database().query<{ n: string }>(sql, { type: QueryTypes.SELECT }))[0]?.n ?? 0);

  it('up: a committed change has its event, a rolled-back one none; down: tables, functions and triggers gone', async () => {
    await createMigrator(database()).up({ to: '1600-live-events' });
    const [org] = await database().query<{ id: string }>(
      "INSERT INTO organizations (name, subdomain, status) VALUES ('M', 'm-1600', 'active') RETURNING id",
      { type: QueryTypes.SELECT },
    );
    await database().query("UPDATE organizations SET dns_status = 'in_sync' WHERE id = $1", {
      bind: [org?.id],
    });
    await database()
      .transaction(async (tx) => {
        await database().query("UPDATE organizations SET status = 'failed' WHERE id = $1", {
          bind: [org?.id],
          transaction: tx,
        });
        throw new Error('roll back');
      })
      .catch(() => {});
    assert.equal(await count("SELECT count(*) AS n FROM live_events WHERE type = 'organization.updated'"), 1);

    await createMigrator(database()).down({ to: '1600-live-events' });
    assert.equal(
      await count("SELECT count(*) AS n FROM pg_tables WHERE tablename IN ('live_events', 'event_tickets')"),
      0,
    );
    assert.equal(await count("SELECT count(*) AS n FROM pg_proc WHERE proname LIKE '%live_event%'"), 0);
    assert.equal(await count("SELECT count(*) AS n FROM pg_trigger WHERE tgname LIKE '%live_event%'"), 0);
    // The tables the triggers were on still work.
    await database().query("UPDATE organizations SET status = 'active' WHERE id = $1", { bind: [org?.id] });
    await createMigrator(database()).up({ to: '1600-live-events' });
  });
});
