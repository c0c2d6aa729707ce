import assert from 'node:assert/strict';
import { QueryTypes } from 'sequelize';
import { createMigrator } from '../../db/migrator';
import { useMigrationDatabase } from '../support/migration-database';

const DATABASE = 'ale_migration_1840';

/** Migration 1840 (docs/spec.md §12): a rescreen's run recorded before its execution exists; down and up again. */
describe('migration 1840: requested screening runs', () => {
  const database = useMigrationDatabase(DATABASE, '1700-tolerant-matching');
  const select = <T extends object>(sql: string, bind: unknown[] = []) =>
    database().query<T>(sql, { bind, type: QueryTypes.SELECT });
  const insertRun = (workflowRunId: string | null) =>
    database().query(
      `INSERT INTO screening_runs (organization_id, trigger, workflow_id, workflow_run_id)
       VALUES (NULL, 'manual', 'exclusion-screening/organization/x', $1)`,
      { bind: [workflowRunId] },
    );

  it('allows one requested run (no run id) per workflow id, and goes down and up again', async () => {
    await assert.rejects(insertRun(null), /null value|not-null/, 'before 1840 a run needs its run id');
    await createMigrator(database()).up({ to: '1840-requested-screening-runs' });
    await insertRun('run-1');
    await insertRun(null);
    await assert.rejects(
      insertRun(null),
      (error: { parent?: { constraint?: string } }) =>
        error.parent?.constraint === 'screening_runs_requested_idx',
      'one requested run per workflow id',
    );

    await createMigrator(database()).down({ to: '1840-requested-screening-runs' });
    const runs = await select<{ workflow_run_id: string }>('SELECT workflow_run_id FROM screening_runs');
    assert.deepEqual(
      runs,
      [{ workflow_run_id: 'run-1' }],
      'the requested run, which no execution adopted, is gone',
    );
    await assert.rejects(insertRun(null), /null value|not-null/);

    await createMigrator(database()).up({ to: '1840-requested-screening-runs' });
    await insertRun(null);
  });
});
