import assert from 'node:assert/strict';
import { QueryTypes } from 'sequelize';
import { createMigrator } from '../../db/migrator';
import { useMigrationDatabase } from '../support/migration-database';

const TABLES = ['password_resets', 'rate_limits', 'refresh_tokens', 'sessions'];

/** Migration 1400 on a database of its own: its down removes what its up made, and up runs again. */
describe('migration 1400: sessions, refresh tokens, password resets, rate limits', () => {
  const database = useMigrationDatabase('ale_migration_1400', '1400-sessions');

  const tables = async () =>
    (
      await database().query<{ name: string }>(
        `SELECT table_name AS name FROM information_schema.tables
          WHERE table_schema = 'public' AND table_name = ANY($1) ORDER BY 1`,
        { bind: [TABLES], type: QueryTypes.SELECT },
      )
    ).map((row) => row.name);

  it('creates the tables, drops them on down, and creates them again', async () => {
    assert.deepEqual(await tables(), TABLES);
    await createMigrator(database()).down({ to: '1400-sessions' });
    assert.deepEqual(await tables(), []);
    await createMigrator(database()).up({ to: '1400-sessions' });
    assert.deepEqual(await tables(), TABLES);
  });

  it('1401 adds sso_codes and its down removes it', async () => {
    const ssoCodes = async () =>
      (
        await database().query<{ n: number }>(
          "SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name = 'sso_codes'",
          { type: QueryTypes.SELECT },
        )
      )[0]?.n;
    await createMigrator(database()).up({ to: '1401-sso-codes' });
    assert.equal(await ssoCodes(), 1);
    await createMigrator(database()).down({ to: '1401-sso-codes' });
    assert.equal(await ssoCodes(), 0);
    assert.deepEqual(await tables(), TABLES);
  });
});
