import assert from 'node:assert/strict';
import { QueryTypes } from 'sequelize';
import { createMigrator } from '../../db/migrator';
import { useMigrationDatabase } from '../support/migration-database';

const MIGRATION = '1880-last-screened-table';

/**
 * Migration 1880 on a database of its own: the people's last screening moves from
 * employees.last_screened_at to employee_last_screened and back; a deleted person's stamp goes with
 * them.
 */
describe('migration 1880: last screened, one narrow row per person', () => {
  const database = useMigrationDatabase('ale_migration_1880', '1700-tolerant-matching');
  const select = <T extends object>(sql: string, bind: unknown[] = []) =>
    database().query<T>(sql, { bind, type: QueryTypes.SELECT });
  const stamps = () =>
    select<{ external_id: string; screened_at: Date }>(
      `SELECT e.external_id, s.screened_at FROM employee_last_screened s JOIN employees e ON e.id = s.employee_id
       ORDER BY e.external_id`,
    );

  it('moves the stamps over and back, and forgets the stamps of deleted people', async () => {
    await database().query(
      `WITH org AS (INSERT INTO organizations (name, subdomain) VALUES ('M', 'm-1880') RETURNING id)
       INSERT INTO employees (organization_id, kind, external_id, first_name, last_name, first_name_norm,
         last_name_norm, last_screened_at)
       SELECT org.id, 'employee', p.external_id, 'Ada', 'Lovelace', 'ADA', 'LOVELACE', p.at FROM org,
         (VALUES ('E1', timestamptz '2026-11-01 08:00Z'), ('E2', NULL), ('E3', timestamptz '2026-11-02 08:00Z'))
           AS p(external_id, at)`,
    );
    const before = { E1: new Date('2026-11-01T08:00:00Z'), E3: new Date('2026-11-02T08:00:00Z') };

    await createMigrator(database()).up({ to: MIGRATION });
    assert.deepEqual(await stamps(), [
      { external_id: 'E1', screened_at: before.E1 },
      { external_id: 'E3', screened_at: before.E3 },
    ]);
    const columns = await select(
      `SELECT 1 FROM information_schema.columns WHERE table_name = 'employees' AND column_name = 'last_screened_at'`,
    );
    assert.deepEqual(columns, [], 'one home for the fact');

    await createMigrator(database()).down({ to: MIGRATION });
    assert.deepEqual(
      await select('SELECT external_id, last_screened_at FROM employees ORDER BY external_id'),
      [
        { external_id: 'E1', last_screened_at: before.E1 },
        { external_id: 'E2', last_screened_at: null },
        { external_id: 'E3', last_screened_at: before.E3 },
      ],
    );
    assert.deepEqual(await select("SELECT to_regclass('employee_last_screened') AS t"), [{ t: null }]);

    await createMigrator(database()).up({ to: MIGRATION });
    await database().query(`DELETE FROM employees WHERE external_id = 'E3'`);
    assert.deepEqual(await stamps(), [{ external_id: 'E1', screened_at: before.E1 }]);
    await database().query(`DELETE FROM organizations WHERE subdomain = 'm-1880'`);
    const [left] = await select<{ n: number }>('SELECT count(*)::int AS n FROM employee_last_screened');
    assert.equal(left?.n, 0, "an organization's deletion takes its people's stamps");
  });
});
