import assert from 'node:assert/strict';
import { QueryTypes } from 'sequelize';
import { createMigrator } from '../../db/migrator';
import { useMigrationDatabase } from '../support/migration-database';

/**
 * Migration 1700 on a database of its own: existing people, LEIE rows and matches get their
 * match_names; the nickname table is loaded; down removes what up added and keeps §4.5's reasons.
 */
describe('migration 1700: tolerant matching', () => {
  const database = useMigrationDatabase('ale_migration_1700', '1200-exclusion-sources');
  const select = <T extends object>(sql: string) => database().query<T>(sql, { type: QueryTypes.SELECT });

  it('computes match_names of existing rows, loads the nicknames, and goes down and up again', async () => {
    await database().query(
      `WITH org AS (INSERT INTO organizations (name, subdomain) VALUES ('M', 'm-1700') RETURNING id),
       person AS (
         INSERT INTO employees (organization_id, kind, external_id, first_name, middle_name, last_name,
           first_name_norm, last_name_norm)
         SELECT org.id, 'employee', 'E1', 'Mary-Ann', 'Q', 'Smith-Jones', 'MARY-ANN', 'SMITH-JONES' FROM org
         RETURNING id, organization_id)
       INSERT INTO exclusion_matches (organization_id, employee_id, exclusion_key, reason, score)
       SELECT organization_id, id, 'k1', 'name', 0.6 FROM person;
       INSERT INTO oig_employees_exclusion (exclusion_key, lastname, firstname, npi, general, excltype, excldate,
         state, last_name_norm, first_name_norm, full_name_norm)
       VALUES ('k1', 'SMITH', 'MARY ANN', '0000000000', 'NURSE', '1128b4', '2019-01-01', 'TX', 'SMITH',
         'MARY ANN', 'MARY ANN SMITH')`,
    );
    await createMigrator(database()).up({ to: '1700-tolerant-matching' });
    const [person] = await select<{ other_names: string[]; match_names: string[] }>(
      'SELECT other_names, match_names FROM employees',
    );
    assert.deepEqual(person, {
      other_names: [],
      match_names: ['SMITH|MARY ANN|Q|P', 'JONES|MARY ANN|Q|P'],
    });
    const [leie] = await select<{ match_names: string[] }>('SELECT match_names FROM oig_employees_exclusion');
    assert.deepEqual(leie?.match_names, ['SMITH|MARY ANN||P']);
    const [nicknames] = await select<{ n: number }>('SELECT count(*)::int AS n FROM name_nicknames');
    assert.ok((nicknames?.n ?? 0) > 4000, 'both directions of the shipped pairs');
    await database().query(
      `UPDATE exclusion_matches SET reason = 'nickname_dob', explanation = '{"agreed":[]}'`,
    );

    await createMigrator(database()).down({ to: '1700-tolerant-matching' });
    const columns = await select<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns
        WHERE column_name IN ('other_names', 'match_names', 'explanation')`,
    );
    assert.deepEqual(columns, []);
    assert.deepEqual(await select('SELECT reason FROM exclusion_matches'), [], 'matches of new reasons go');
    await assert.rejects(
      database().query(`INSERT INTO exclusion_matches (organization_id, employee_id, exclusion_key, reason, score)
        SELECT organization_id, id, 'k2', 'alias_dob', 0.9 FROM employees`),
      /exclusion_matches_reason_check/,
    );
    await createMigrator(database()).up({ to: '1700-tolerant-matching' });
    const [again] = await select<{ n: number }>('SELECT count(*)::int AS n FROM name_nicknames');
    assert.equal(again?.n, nicknames?.n);
  });
});
