import assert from 'node:assert/strict';
import { createOrganization } from '../support/fixtures';
import {
  employeeCsv,
  employeesOf,
  failureType,
  importErrors,
  importRow,
  runImport,
} from './roster-import-support';

/**
 * docs/spec.md §4.2: a replace that would deactivate more than half of the active roster *as it
 * was before the import* fails before any row is written — nothing inserted, updated or
 * deactivated — and a dry run reports the same.
 */
describe('replace guard before any row is written (docs/spec.md §4.2)', () => {
  const activeOf = async (organizationId: string) =>
    (await employeesOf(organizationId))
      .filter((person) => person.status === 'active')
      .map((p) => p.external_id);

  it('a refused replace changes nothing: no update, no insert, no deactivation, no counts', async () => {
    const org = await createOrganization();
    await runImport(org.id, employeeCsv(4));
    const before = await employeesOf(org.id);
    // E1 with a changed first name, two new people: 3 of the 4 active would go.
    const file = `${employeeCsv(1).replace('First1,', 'Renamed1,')}E90,New,Person,,,\nE91,Other,Person,,,\n`;
    const refused = await runImport(org.id, file, { mode: 'replace' });
    assert.deepEqual(failureType(refused.error), { type: 'DeactivationGuard', nonRetryable: true });
    const row = await importRow(refused.importId);
    assert.equal(row.status, 'failed');
    assert.match(row.failureReason ?? '', /deactivate 3 of 4 active employees.*force=true/);
    assert.deepEqual(
      [row.rowsProcessed, row.insertedCount, row.updatedCount, row.deactivatedCount],
      [0, 0, 0, 0],
    );
    assert.deepEqual(await importErrors(refused.importId), []);
    assert.deepEqual(await employeesOf(org.id), before, 'the roster is exactly as it was');
  });

  it('counts against the roster as it was: new people in the file do not dilute the missing ones', async () => {
    const org = await createOrganization();
    await runImport(org.id, employeeCsv(2));
    // Both active members missing and four new ones: after an upsert 2 of 6 would look "a third".
    const refused = await runImport(org.id, employeeCsv(4, 3), { mode: 'replace' });
    assert.deepEqual(failureType(refused.error), { type: 'DeactivationGuard', nonRetryable: true });
    assert.match((await importRow(refused.importId)).failureReason ?? '', /deactivate 2 of 2 active/);
    assert.deepEqual(await activeOf(org.id), ['E1', 'E2']);
    assert.equal((await employeesOf(org.id)).length, 2);

    const dryRun = await runImport(org.id, employeeCsv(4, 3), { mode: 'replace', dryRun: true });
    assert.deepEqual(failureType(dryRun.error), { type: 'DeactivationGuard', nonRetryable: true });

    const forced = await runImport(org.id, employeeCsv(4, 3), { mode: 'replace', force: true });
    assert.equal(forced.summary?.status, 'succeeded');
    assert.deepEqual([forced.summary?.counts.inserted, forced.summary?.counts.deactivated], [4, 2]);
    assert.deepEqual(await activeOf(org.id), ['E3', 'E4', 'E5', 'E6']);
  });

  it('a replace within the limit still deactivates who is missing, keyed by e-mail when there is no id', async () => {
    const org = await createOrganization();
    await runImport(
      org.id,
      'Employee ID,First Name,Last Name,Email\nE1,A,One,\nE2,B,Two,\n,C,Three,c3@x.test\n,D,Four,d4@x.test\n',
    );
    const replaced = await runImport(
      org.id,
      'Employee ID,First Name,Last Name,Email\nE1,A,One,\n,C,Three,C3@X.test\n',
      { mode: 'replace' },
    );
    assert.equal(replaced.summary?.status, 'succeeded');
    assert.equal(replaced.summary?.counts.deactivated, 2);
    assert.deepEqual(
      (await employeesOf(org.id)).map((p) => [p.external_id ?? p.email, p.status]),
      [
        ['E1', 'active'],
        ['E2', 'inactive'],
        ['C3@X.test', 'active'],
        ['d4@x.test', 'inactive'],
      ],
    );
  });
});
