import assert from 'node:assert/strict';
import { QueryTypes } from 'sequelize';
import { createMigrator } from '../../db/migrator';
import { useMigrationDatabase } from '../support/migration-database';

const DATABASE = 'ale_migration_0990';

/** Migration 0990 on a database of its own: the keys of imports running at the upgrade survive it. */
describe('migration 0990: external ids of running imports move to roster_import_batches', () => {
  const database = useMigrationDatabase(DATABASE, '0980-roster-organization-reference');

  const keys = async () =>
    (
      await database().query<{ key: string }>('SELECT key FROM roster_import_keys ORDER BY key', {
        type: QueryTypes.SELECT,
      })
    ).map((row) => row.key);

  it('moves the claimed external ids into one batch before the first, keeps e-mail keys, and back on down', async () => {
    const [imp] = await database().query<{ id: string }>(
      `WITH org AS (INSERT INTO organizations (name, subdomain) VALUES ('M', 'm-0990') RETURNING id)
       INSERT INTO roster_imports (organization_id, kind, source_bucket, source_key, format, mode, status, rows_processed)
       SELECT id, 'employees', 'b', 'k.csv', 'csv', 'replace', 'running', 3 FROM org RETURNING id`,
      { type: QueryTypes.SELECT },
    );
    await database().query(
      "INSERT INTO roster_import_keys (import_id, key) VALUES ($1, 'x:E1'), ($1, 'x:E 2'), ($1, 'e:a@x.test')",
      {
        bind: [imp?.id],
      },
    );

    await createMigrator(database()).up({ to: '0990-roster-import-batches' });
    const batches = await database().query<{ rows_before: number; ids: string[] }>(
      'SELECT rows_before, (SELECT array_agg(i ORDER BY i) FROM unnest(external_ids) i) AS ids FROM roster_import_batches WHERE import_id = $1',
      { bind: [imp?.id], type: QueryTypes.SELECT },
    );
    assert.deepEqual(batches, [{ rows_before: -1, ids: ['E 2', 'E1'] }]);
    assert.deepEqual(await keys(), ['e:a@x.test']);

    await createMigrator(database()).down({ to: '0990-roster-import-batches' });
    assert.deepEqual(await keys(), ['e:a@x.test', 'x:E 2', 'x:E1']);
  });
});
