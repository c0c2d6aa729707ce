import assert from 'node:assert/strict';
import { QueryTypes } from 'sequelize';
import { createMigrator } from '../../db/migrator';
import { useMigrationDatabase } from '../support/migration-database';

const DATABASE = 'ale_migration_1000';
const PEOPLE = [
  ['Ann', 'Do'],
  ['José', "O'Brien"],
  ['Mary Ann', 'Smith-Jones'],
  ['Lee', 'Park Jr'],
] as const;

/** Migration 1000 on a database of its own: full_name_norm generated from the normalized parts. */
describe('migration 1000: employees.full_name_norm is generated from first_name_norm and last_name_norm', () => {
  const database = useMigrationDatabase(DATABASE, '0995-employee-npi-check');
  const fullNames = async () =>
    (
      await database().query<{ full_name_norm: string }>(
        'SELECT full_name_norm FROM employees ORDER BY external_id',
        {
          type: QueryTypes.SELECT,
        },
      )
    ).map((row) => row.full_name_norm);

  it('recomputes existing rows, generates it on insert and update, keeps the name indexes; down restores the old rule', async () => {
    await database().query(
      `WITH org AS (INSERT INTO organizations (name, subdomain) VALUES ('M', 'm-1000') RETURNING id)
       INSERT INTO employees (organization_id, kind, external_id, first_name, last_name,
         first_name_norm, last_name_norm, full_name_norm)
       SELECT org.id, 'employee', 'E' || p.i, p.f, p.l, ale_normalize_name(p.f), ale_normalize_name(p.l),
         ale_normalize_name(p.f || ' ' || p.l)
       FROM org, unnest($1::text[], $2::text[]) WITH ORDINALITY AS p(f, l, i)`,
      { bind: [PEOPLE.map((p) => p[0]), PEOPLE.map((p) => p[1])] },
    );
    const before = await fullNames();
    assert.deepEqual(before, ['ANN', 'JOSE OBRIEN', 'MARY ANN SMITH-JONES', 'LEE PARK']);

    await createMigrator(database()).up({ to: '1000-employee-full-name-from-parts' });
    assert.deepEqual(await fullNames(), ['ANN DO', 'JOSE OBRIEN', 'MARY ANN SMITH-JONES', 'LEE PARK']);
    await database().query(
      `UPDATE employees SET last_name_norm = 'DOE' WHERE external_id = 'E1';
       INSERT INTO employees (organization_id, kind, external_id, first_name, last_name, first_name_norm, last_name_norm)
       SELECT organization_id, 'employee', 'E5', 'Bo', '-', 'BO', '' FROM employees LIMIT 1`,
    );
    assert.deepEqual(await fullNames(), ['ANN DOE', 'JOSE OBRIEN', 'MARY ANN SMITH-JONES', 'LEE PARK', 'BO']);
    await assert.rejects(
      database().query("UPDATE employees SET full_name_norm = 'X'"),
      /can only be updated to DEFAULT/,
    );
    const indexes = await database().query<{ indexname: string }>(
      `SELECT indexname FROM pg_indexes WHERE tablename = 'employees' AND indexdef LIKE '%full_name_norm%' ORDER BY 1`,
      { type: QueryTypes.SELECT },
    );
    assert.deepEqual(
      indexes.map((i) => i.indexname),
      ['employees_full_name_trgm_idx', 'employees_org_name_idx'],
    );
    const [sampled] = await database().query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_stats WHERE tablename = 'employees' AND attname = 'full_name_norm'",
      { type: QueryTypes.SELECT },
    );
    assert.equal(sampled?.n, 1, 'the name search has a sample to rank pieces on right after the migration');

    await createMigrator(database()).down({ to: '1000-employee-full-name-from-parts' });
    assert.deepEqual(await fullNames(), ['ANN', 'JOSE OBRIEN', 'MARY ANN SMITH-JONES', 'LEE PARK', 'BO']);
    await database().query("UPDATE employees SET full_name_norm = 'WRITABLE' WHERE external_id = 'E5'");
  });
});
