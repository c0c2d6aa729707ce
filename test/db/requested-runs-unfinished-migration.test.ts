import assert from 'node:assert/strict';
import { QueryTypes } from 'sequelize';
import { createMigrator } from '../../db/migrator';
import { useMigrationDatabase } from '../support/migration-database';

const DATABASE = 'ale_migration_1890';

/**
 * Migration 1890 (docs/spec.md §12): a requested run closed as failed keeps its null run id, and a
 * later request records its own; down and up again.
 */
describe('migration 1890: one unfinished requested run per workflow id', () => {
  const database = useMigrationDatabase(DATABASE, '1880-last-screened-table');
  const select = <T extends object>(sql: string) => database().query<T>(sql, { type: QueryTypes.SELECT });
  const insertRequested = (finished: boolean) =>
    database().query(
      `INSERT INTO screening_runs (organization_id, trigger, workflow_id, workflow_run_id, status, finished_at)
       VALUES (NULL, 'manual', 'exclusion-screening/organization/x', NULL, $1, $2)`,
      { bind: [finished ? 'failed' : 'running', finished ? new Date() : null] },
    );
  const oneRequested = (error: { parent?: { constraint?: string } }) =>
    error.parent?.constraint === 'screening_runs_requested_idx';

  it('counts only unfinished requested runs, and goes down and up again', async () => {
    await insertRequested(true);
    await assert.rejects(insertRequested(false), oneRequested, 'before 1890 a closed one still counts');

    await createMigrator(database()).up({ to: '1890-requested-runs-unfinished' });
    await insertRequested(false);
    await assert.rejects(insertRequested(false), oneRequested, 'still one unfinished per workflow id');

    await createMigrator(database()).down({ to: '1890-requested-runs-unfinished' });
    const runs = await select<{ status: string }>('SELECT status FROM screening_runs ORDER BY started_at');
    assert.deepEqual(runs, [{ status: 'running' }], 'the closed requested run is gone, the open one kept');

    await createMigrator(database()).up({ to: '1890-requested-runs-unfinished' });
    await insertRequested(true);
  });
});
