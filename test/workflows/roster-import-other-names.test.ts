import assert from 'node:assert/strict';
import { query } from '../../db/sql';
import { createOrganization } from '../support/fixtures';
import { stack } from '../support/stack';
import { importErrors, importRow, runImport } from './roster-import-support';

/**
 * Roster columns of other names (docs/spec.md §9): `Other Names`, `AKA`, `Maiden Name`, `Former Name`,
 * names separated by `;` or `|`, several such columns read together, stored as a list; a rescan of
 * the same file changes nothing; a letterless name rejects the row naming its column.
 */
describe('rosterImport: other names (real dev server, worker, Postgres, moto S3)', () => {
  it('reads every other-names column into one list and rejects a letterless name', async () => {
    const org = await createOrganization();
    const csv = [
      'Employee ID,First Name,Last Name,AKA,Maiden Name,Former Name',
      'E1,Jane,Okafor,Jenny Okafor; J. Okafor,Smith,Jane Doe | Doe Jane',
      'E2,Ann,Lee,,,',
      'E3,Bob,Ray,***,,',
    ].join('\n');
    const { importId, summary } = await runImport(org.id, csv);
    assert.equal(summary?.status, 'succeeded');
    assert.deepEqual(
      (await importErrors(importId)).map((e) => [e.row_number, e.column, e.code]),
      [[4, 'other_names', 'invalid_name']],
    );
    const rows = await query<{ external_id: string; other_names: string[] }>(
      stack().sequelize,
      'SELECT external_id, other_names FROM employees WHERE organization_id = $orgId ORDER BY external_id',
      { orgId: org.id },
    );
    assert.deepEqual(
      rows.map((row) => [row.external_id, row.other_names]),
      [
        ['E1', ['Jenny Okafor', 'J. Okafor', 'Smith', 'Jane Doe', 'Doe Jane']],
        ['E2', []],
      ],
    );
    const again = await runImport(org.id, csv);
    const second = await importRow(again.importId);
    assert.deepEqual([second.insertedCount, second.updatedCount, second.unchangedCount], [0, 0, 2]);

    const header = 'Employee ID,First Name,Last Name,Other Names';
    const changed = await runImport(org.id, [header, 'E1,Jane,Okafor,Jane Smith', 'E2,Ann,Lee,'].join('\n'));
    const third = await importRow(changed.importId);
    assert.deepEqual([third.updatedCount, third.unchangedCount], [1, 1]);
    const after = await query<{ other_names: string[] }>(
      stack().sequelize,
      `SELECT other_names FROM employees WHERE organization_id = $orgId AND external_id = 'E1'`,
      { orgId: org.id },
    );
    assert.deepEqual(after[0]?.other_names, ['Jane Smith']);
  });

  it('rejects a row whose first or last name has no Latin letter, naming the column; another script beside a Latin name is kept', async () => {
    const org = await createOrganization();
    const csv = [
      'Employee ID,First Name,Middle Name,Last Name,AKA',
      'E1,Olga,Ивановна,Petrova,Ольга Петрова',
      'E2,Ольга,,Petrova,',
      'E3,Zoë,,Ørsted,',
      'E4,Li,,李,',
    ].join('\n');
    const { importId, summary } = await runImport(org.id, csv);
    assert.equal(summary?.status, 'succeeded');
    assert.deepEqual(
      (await importErrors(importId)).map((e) => [e.row_number, e.column, e.code]),
      [
        [3, 'first_name', 'invalid_name'],
        [5, 'last_name', 'invalid_name'],
      ],
    );
    const rows = await query<{ external_id: string; full_name_norm: string }>(
      stack().sequelize,
      'SELECT external_id, full_name_norm FROM employees WHERE organization_id = $orgId ORDER BY external_id',
      { orgId: org.id },
    );
    assert.deepEqual(
      rows.map((row) => [row.external_id, row.full_name_norm]),
      [
        ['E1', 'OLGA PETROVA'],
        ['E3', 'ZOE ORSTED'],
      ],
    );
  });
});
