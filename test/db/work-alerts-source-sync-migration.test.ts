import assert from 'node:assert/strict';
import { createMigrator } from '../../db/migrator';
import { execute } from '../../db/sql';
import { useMigrationDatabase } from '../support/migration-database';

/** Migration 1800: a work alert of another list's sync is allowed after `up`, refused after `down`. */
describe('migration 1800-work-alerts-source-sync', () => {
  const db = useMigrationDatabase('ale_migration_1800', '1800-work-alerts-source-sync');
  const insert = (kind: string) =>
    execute(
      db(),
      `INSERT INTO work_alerts (kind, workflow_id, workflow_run_id, state, reason)
       VALUES ($kind, 'exclusion-source-sync/sam/manual', gen_random_uuid()::text, 'failed', 'test')`,
      { kind },
    );

  it('up allows the kind exclusion-source-sync; down removes its rows and refuses it again', async function () {
    this.timeout(60_000);
    await insert('exclusion-source-sync');
    await insert('oig-sync');
    await createMigrator(db()).down({ to: '1800-work-alerts-source-sync' });
    await assert.rejects(insert('exclusion-source-sync'), /work_alerts_kind_check/);
    await insert('oig-sync');
    await createMigrator(db()).up({ to: '1800-work-alerts-source-sync' });
    await insert('exclusion-source-sync');
  });
});
