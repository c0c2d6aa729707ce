import assert from 'node:assert/strict';
import { QueryTypes } from 'sequelize';
import { createMigrator } from '../../db/migrator';
import { useMigrationDatabase } from '../support/migration-database';

/** Migration 1900 (docs/architecture.md): the index a sync deletes gone records through; down and up again. */
describe('migration 1900: exclusion_source_records (source, record_hash)', () => {
  const database = useMigrationDatabase('ale_migration_1900', '1890-requested-runs-unfinished');
  const indexes = async () =>
    (
      await database().query<{ name: string }>(
        `SELECT indexname AS name FROM pg_indexes
         WHERE tablename = 'exclusion_source_records' AND indexname = 'exclusion_source_records_hash_idx'`,
        { type: QueryTypes.SELECT },
      )
    ).map((row) => row.name);

  it('adds the index, and goes down and up again', async () => {
    assert.deepEqual(await indexes(), []);
    await createMigrator(database()).up({ to: '1900-exclusion-source-record-hash-index' });
    assert.deepEqual(await indexes(), ['exclusion_source_records_hash_idx']);
    await createMigrator(database()).down({ to: '1900-exclusion-source-record-hash-index' });
    assert.deepEqual(await indexes(), []);
    await createMigrator(database()).up({ to: '1900-exclusion-source-record-hash-index' });
    assert.deepEqual(await indexes(), ['exclusion_source_records_hash_idx']);
  });
});
