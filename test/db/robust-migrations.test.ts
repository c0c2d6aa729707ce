import assert from 'node:assert/strict';
import { createMigrator } from '../../db/migrator';
import { query } from '../../db/sql';
import { useMigrationDatabase } from '../support/migration-database';

/** Migrations 1500–1520 (docs/spec.md §12) go down and up again cleanly. */
describe('migrations 1500-workflow-outbox, 1510-work-alerts, 1520-idempotency-keys', () => {
  const db = useMigrationDatabase('ale_robust_migrations', '1520-idempotency-keys');
  const tables = async () =>
    (
      await query<{ name: string }>(
        db(),
        `SELECT table_name AS name FROM information_schema.tables
         WHERE table_name IN ('workflow_outbox', 'work_alerts', 'idempotency_keys') ORDER BY 1`,
      )
    ).map((row) => row.name);

  it('down removes their tables, up brings them back', async function () {
    this.timeout(60_000);
    assert.deepEqual(await tables(), ['idempotency_keys', 'work_alerts', 'workflow_outbox']);
    await createMigrator(db()).down({ to: '1500-workflow-outbox' });
    assert.deepEqual(await tables(), []);
    await createMigrator(db()).up({ to: '1520-idempotency-keys' });
    assert.deepEqual(await tables(), ['idempotency_keys', 'work_alerts', 'workflow_outbox']);
  });
});
