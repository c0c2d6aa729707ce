import assert from 'node:assert/strict';
import { QueryTypes } from 'sequelize';
import { createMigrator } from '../../db/migrator';
import { useMigrationDatabase } from '../support/migration-database';

const DATABASE = 'ale_migration_1300';

/** Migrations 1300–1320 (docs/spec.md §10) on a database of their own: up over existing rows, down, up again. */
describe('migrations 1300–1320: review trail, last_screened_at, append-only audit log', () => {
  const database = useMigrationDatabase(DATABASE, '1100-screening-runs');
  const select = <T extends object>(sql: string, bind: unknown[] = []) =>
    database().query<T>(sql, { bind, type: QueryTypes.SELECT });

  it('backfills the history and last_screened_at, refuses audit edits, and goes down and up again', async () => {
    const [row] = await select<{ org: string; user_id: string; employee: string; match: string }>(
      `WITH org AS (INSERT INTO organizations (name, subdomain, created_at) VALUES ('M', 'm-1300', now() - interval '2 days') RETURNING id),
       usr AS (INSERT INTO users (email, name, password_hash) VALUES ('r@x.test', 'R', 'x') RETURNING id),
       emp AS (INSERT INTO employees (organization_id, kind, external_id, first_name, last_name, first_name_norm, last_name_norm, created_at)
               SELECT id, 'employee', 'E1', 'Ada', 'Lovelace', 'ADA', 'LOVELACE', now() - interval '1 day' FROM org RETURNING id, organization_id),
       m AS (INSERT INTO exclusion_matches (organization_id, employee_id, exclusion_key, reason, score, status, note, reviewed_by, reviewed_at)
             SELECT emp.organization_id, emp.id, 'k1', 'name', 0.6, 'dismissed', 'not her', usr.id, now() FROM emp, usr RETURNING id)
       SELECT (SELECT id FROM org) AS org, (SELECT id FROM usr) AS user_id, (SELECT id FROM emp) AS employee, (SELECT id FROM m) AS match`,
    );
    assert.ok(row);
    await database().query(
      `INSERT INTO screening_runs (organization_id, trigger, status, workflow_id, workflow_run_id, started_at)
       VALUES ($1, 'manual', 'succeeded', 'w', 'r', now() - interval '1 hour')`,
      { bind: [row.org] },
    );
    await database().query(
      "INSERT INTO audit_log (actor_user_id, action, entity_type, organization_id) VALUES ($1, 'x', 'y', $2)",
      { bind: [row.user_id, row.org] },
    );

    await createMigrator(database()).up({ to: '1320-audit-log-append-only' });
    const events = await select<{ from_status: string | null; to_status: string; note: string | null }>(
      'SELECT from_status, to_status, note FROM exclusion_match_events WHERE match_id = $1 ORDER BY at, created_at',
      [row.match],
    );
    assert.deepEqual(events, [
      { from_status: null, to_status: 'open', note: null },
      { from_status: 'open', to_status: 'dismissed', note: 'not her' },
    ]);
    const [person] = await select<{ last_screened_at: Date | null }>(
      'SELECT last_screened_at FROM employees WHERE id = $1',
      [row.employee],
    );
    assert.ok(
      person?.last_screened_at instanceof Date,
      'screened by the succeeded run after they were added',
    );
    await assert.rejects(database().query("UPDATE audit_log SET action = 'forged'"), /append-only/);
    await database().query('DELETE FROM organizations WHERE id = $1', { bind: [row.org] });
    const [kept] = await select<{ n: number }>(
      'SELECT count(*)::int AS n FROM audit_log WHERE organization_id = $1',
      [row.org],
    );
    assert.equal(kept?.n, 1, 'the trail outlives its organization');

    await createMigrator(database()).down({ to: '1300-match-review-trail' });
    const [tables] = await select<{ events: string | null }>(
      "SELECT to_regclass('exclusion_match_events')::text AS events",
    );
    assert.equal(tables?.events, null);
    await database().query("UPDATE audit_log SET action = 'editable again'");
    const [orphans] = await select<{ n: number }>(
      'SELECT count(*)::int AS n FROM audit_log WHERE organization_id IS NOT NULL',
    );
    assert.equal(orphans?.n, 0, 'down nulls the ids of deleted organizations before the key comes back');

    await createMigrator(database()).up({ to: '1320-audit-log-append-only' });
    await assert.rejects(database().query('DELETE FROM audit_log'), /append-only/);
  });
});
