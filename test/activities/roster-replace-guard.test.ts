import assert from 'node:assert/strict';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createRosterActivities } from '../../activities/rosters';
import { createOrganization } from '../support/fixtures';
import { stack } from '../support/stack';
import { employeeCsv, putObject, runImport, stageImport } from '../workflows/roster-import-support';

/**
 * The replace guard (docs/spec.md §4.2) reads the file for the keys it holds only when the roster
 * has active members a replace could deactivate. Each import's object is overwritten after the
 * import began, so any read of it fails (the ETag pinned at the start no longer matches).
 */
describe('checkRosterReplace reads the file only when someone could be deactivated', () => {
  async function guardOfChangedFile(organizationId: string) {
    const activities = createRosterActivities(stack().activityDeps());
    const imp = await stageImport(organizationId, employeeCsv(3), { mode: 'replace' });
    const env = new MockActivityEnvironment();
    await env.run(activities.prepareRosterImport, imp.id);
    await putObject(imp.source_key, employeeCsv(5));
    return env.run(activities.checkRosterReplace, imp.id, { today: '2026-12-06' });
  }

  it('a roster with no active member: answers without the file (nobody to deactivate)', async () => {
    const org = await createOrganization();
    assert.deepEqual(await guardOfChangedFile(org.id), { active: 0, inFile: 0 });
  });

  it('a roster with active members: reads the file (here: the changed file fails the check)', async () => {
    const org = await createOrganization();
    await runImport(org.id, employeeCsv(2));
    await assert.rejects(guardOfChangedFile(org.id), /was replaced during the import/);
  });
});
