import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { execute, queryOne } from '../../db/sql';
import {
  deleteLeieRows,
  EXPECTED_MATCHES,
  insertLeieRows,
  insertPeople,
  LEIE_ROWS,
  leieTag,
  PEOPLE,
} from '../fixtures/screening';
import { createMember, createOrganization, createUser } from '../support/fixtures';
import { call } from '../support/http';
import { stack } from '../support/stack';

/** An `imported` check: the LEIE list counts as loaded from then on. */
async function insertImportedCheck(
  checkedAt: Date,
  status: 'imported' | 'unchanged' | 'failed' = 'imported',
) {
  const id = randomUUID();
  await execute(
    stack().sequelize,
    `INSERT INTO oig_exclusions_check (id, checked_at, trigger, status, row_count, workflow_id, error)
     VALUES ($id, $checkedAt, 'manual', $status, 1, $workflowId, $error)`,
    {
      id,
      checkedAt,
      status,
      workflowId: `oig-sync/test-${id}`,
      error: status === 'failed' ? 'test: the download failed' : null,
    },
  );
  return id;
}

const clearChecks = () => execute(stack().sequelize, 'DELETE FROM oig_exclusions_check');

/** Starts the organization's rescreen through the API and runs a worker until it finishes. */
async function rescreen(organizationId: string, token: string) {
  const taskQueue = `screening-runs-${randomUUID()}`;
  const app = stack().createApp({ TEMPORAL_TASK_QUEUE: taskQueue });
  const started = await call(app, 'POST', `/v1/organizations/${organizationId}/exclusion-screenings`, {
    token,
  });
  assert.equal(started.status, 202);
  // docs/spec.md §5: the 202 is the run's fields (as GET shows them) plus workflowId and links.
  const { status, trigger, peopleScreened, finishedAt, kind, startedAt } = started.body;
  assert.deepEqual(
    { status, trigger, peopleScreened, finishedAt, kind },
    { status: 'running', trigger: 'manual', peopleScreened: null, finishedAt: null, kind: 'organization' },
  );
  assert.ok(!Number.isNaN(Date.parse(startedAt)), startedAt);
  const worker = await stack().createWorker(taskQueue);
  await worker.runUntil(stack().temporal.workflow.getHandle(started.body.workflowId).result());
  const run = await call(app, 'GET', started.body.links.self, { token });
  assert.equal(run.status, 200);
  return { app, started: started.body, run: run.body };
}

describe('exclusion screenings: a resource per run, and empty is not clear', () => {
  after(clearChecks);

  it('with no LEIE list loaded: the run is incomplete with the reason, people and the match list say not_screened, status says never, /ready warns', async function () {
    this.timeout(60_000);
    await clearChecks();
    const organization = await createOrganization();
    const admin = await createMember(organization.id, 'admin');
    const people = await insertPeople(organization.id, [
      { label: 'a', firstName: 'Zephyrine', lastName: 'Quillfeather', dateOfBirth: '1981-01-01' },
      { label: 'b', firstName: 'Oswin', lastName: 'Marchbanks-Tull' },
    ]);

    const { app, started, run } = await rescreen(organization.id, admin.token);
    assert.match(started.id, /^[0-9a-f-]{36}$/);
    assert.equal(
      started.links.self,
      `/v1/organizations/${organization.id}/exclusion-screenings/${started.id}`,
    );
    assert.equal(run.id, started.id);
    assert.equal(run.status, 'incomplete');
    assert.match(run.error, /No LEIE list is loaded/);
    assert.equal(run.trigger, 'manual');
    assert.equal(run.peopleScreened, 2);
    assert.deepEqual(run.listVersions, []);
    assert.equal(run.matchesOpened, 0);
    assert.equal(run.workflowId, started.workflowId);
    assert.ok(run.finishedAt);
    assert.match(run.links.temporalUi, /\/workflows\/exclusion-screening%2Forganization%2F/);

    const employees = await call(app, 'GET', `/v1/organizations/${organization.id}/employees`, {
      token: admin.token,
    });
    // No match, but never compared against a list: not clear, and lastScreenedAt stays null.
    assert.deepEqual(
      employees.body.items.map((item: any) => [item.id, item.exclusionStatus, item.lastScreenedAt]).sort(),
      [...people.values()].map((id) => [id, 'not_screened', null]).sort(),
    );
    const one = await call(app, 'GET', `/v1/organizations/${organization.id}/employees/${people.get('a')}`, {
      token: admin.token,
    });
    assert.equal(one.body.exclusionStatus, 'not_screened');
    assert.equal(one.body.lastScreenedAt, null);

    const matches = await call(app, 'GET', `/v1/organizations/${organization.id}/exclusion-matches`, {
      token: admin.token,
    });
    assert.deepEqual(matches.body.items, []);
    assert.equal(matches.body.screening.status, 'not_screened');
    assert.match(matches.body.screening.reason, /No LEIE list is loaded/);

    const status = await call(app, 'GET', '/v1/oig/status', { token: (await createUser()).token });
    assert.equal(status.body.state, 'never');
    assert.match(status.body.warning, /No LEIE list is loaded/);
    assert.equal(status.body.sample, false);

    const ready = await call(app, 'GET', '/ready');
    assert.equal(ready.status, 200, 'a missing list is a warning, not a failure');
    assert.equal(ready.body.status, 'ready');
    assert.deepEqual(ready.body.lists, { leie: { state: 'never' } });
    assert.equal(ready.body.warnings.length, 1);
    assert.match(ready.body.warnings[0], /^leie: No LEIE list is loaded/);
  });

  it('with a list loaded: the run succeeds with the list version, people are clear, possible_match or excluded', async function () {
    this.timeout(60_000);
    const tag = leieTag();
    await insertLeieRows(LEIE_ROWS, tag);
    try {
      await clearChecks();
      const checkId = await insertImportedCheck(new Date());
      const organization = await createOrganization();
      const admin = await createMember(organization.id, 'admin');
      const people = await insertPeople(organization.id, PEOPLE);

      const { app, run } = await rescreen(organization.id, admin.token);
      assert.equal(run.status, 'succeeded');
      assert.equal(run.error, null);
      assert.deepEqual(run.listVersions, [{ source: 'leie', checkId }]);
      assert.equal(run.peopleScreened, PEOPLE.filter((person) => person.status !== 'inactive').length);
      assert.ok(run.matchesOpened >= EXPECTED_MATCHES.length);

      const personOf = async (label: string) =>
        (
          await call(app, 'GET', `/v1/organizations/${organization.id}/employees/${people.get(label)}`, {
            token: admin.token,
          })
        ).body;
      const statusOf = async (label: string) => (await personOf(label)).exclusionStatus;
      assert.equal(await statusOf('name-dob'), 'possible_match');
      assert.equal(await statusOf('other-dob'), 'clear', 'a near miss screened against a loaded list');
      const screenedAt = Date.parse((await personOf('other-dob')).lastScreenedAt);
      assert.ok(screenedAt >= Date.parse(run.startedAt) && screenedAt <= Date.parse(run.finishedAt));
      assert.equal((await personOf('inactive')).lastScreenedAt, null, 'inactive people are not screened');

      const match = await queryOne<{ id: string }>(
        stack().sequelize,
        'SELECT id FROM exclusion_matches WHERE employee_id = $id',
        { id: people.get('name-dob') },
      );
      const review = await call(
        app,
        'PATCH',
        `/v1/organizations/${organization.id}/exclusion-matches/${match?.id}`,
        {
          token: admin.token,
          json: { status: 'confirmed', note: 'same person' },
        },
      );
      assert.equal(review.status, 200);
      assert.equal(await statusOf('name-dob'), 'excluded');

      // GET …/employees?exclusionStatus= keeps exactly the people of that status, over every page.
      const withStatus = async (exclusionStatus: string) => {
        const ids: string[] = [];
        let cursor: string | null = null;
        do {
          const page: any = await call(
            app,
            'GET',
            `/v1/organizations/${organization.id}/employees?exclusionStatus=${exclusionStatus}&limit=3${cursor ? `&cursor=${cursor}` : ''}`,
            { token: admin.token },
          );
          assert.equal(page.status, 200);
          for (const item of page.body.items) assert.equal(item.exclusionStatus, exclusionStatus);
          ids.push(...page.body.items.map((item: any) => item.id));
          cursor = page.body.nextCursor;
        } while (cursor);
        return ids.sort();
      };
      const labelsOf = (ids: string[]) =>
        ids.map((id) => [...people].find(([, personId]) => personId === id)?.[0]).sort();
      const matched = new Set(EXPECTED_MATCHES.map(([label]) => label));
      assert.deepEqual(labelsOf(await withStatus('excluded')), ['name-dob']);
      assert.deepEqual(
        labelsOf(await withStatus('possible_match')),
        [...matched].filter((label) => label !== 'name-dob').sort(),
      );
      assert.deepEqual(
        labelsOf(await withStatus('clear')),
        PEOPLE.map((person) => person.label)
          .filter((label) => !matched.has(label) && label !== 'inactive')
          .sort(),
      );
      // Inactive people are never screened, and a person changed since the run is not clear.
      assert.deepEqual(labelsOf(await withStatus('not_screened')), ['inactive']);
      await execute(stack().sequelize, 'UPDATE employees SET updated_at = now() WHERE id = $id', {
        id: people.get('other-dob'),
      });
      assert.equal(await statusOf('other-dob'), 'not_screened', 'changed since the last screening');
      assert.deepEqual(labelsOf(await withStatus('not_screened')), ['inactive', 'other-dob']);
      const bad = await call(
        app,
        'GET',
        `/v1/organizations/${organization.id}/employees?exclusionStatus=unknown`,
        {
          token: admin.token,
        },
      );
      assert.equal(bad.status, 422);
      assert.deepEqual(
        bad.body.errors.map((e: any) => e.path),
        ['query.exclusionStatus'],
      );

      const matches = await call(app, 'GET', `/v1/organizations/${organization.id}/exclusion-matches`, {
        token: admin.token,
      });
      assert.equal(matches.body.screening.status, 'screened');
      assert.equal(matches.body.screening.lastScreeningId, run.id);

      const user = await createUser();
      assert.equal((await call(app, 'GET', '/v1/oig/status', { token: user.token })).body.state, 'fresh');
      const ready = await call(app, 'GET', '/ready');
      assert.deepEqual([ready.body.lists, ready.body.warnings], [{ leie: { state: 'fresh' } }, []]);

      await insertImportedCheck(new Date(), 'failed');
      assert.equal((await call(app, 'GET', '/v1/oig/status', { token: user.token })).body.state, 'failed');
      await clearChecks();
      await insertImportedCheck(new Date(Date.now() - 3 * 86_400_000));
      const stale = await call(app, 'GET', '/v1/oig/status', { token: user.token });
      assert.equal(stale.body.state, 'stale', 'no successful check within EXCLUSION_SOURCE_STALE_AFTER');
    } finally {
      await deleteLeieRows(tag);
    }
  });

  it('a screening of another organization, or none, is 404', async () => {
    const organization = await createOrganization();
    const admin = await createMember(organization.id, 'admin');
    const other = await createOrganization();
    const otherAdmin = await createMember(other.id, 'admin');
    const app = stack().createApp({ TEMPORAL_TASK_QUEUE: `no-worker-${randomUUID()}` });
    const started = await call(app, 'POST', `/v1/organizations/${other.id}/exclusion-screenings`, {
      token: otherAdmin.token,
    });
    const path = `/v1/organizations/${organization.id}/exclusion-screenings/${started.body.id}`;
    assert.equal((await call(app, 'GET', path, { token: admin.token })).status, 404);
    const missing = `/v1/organizations/${organization.id}/exclusion-screenings/${randomUUID()}`;
    assert.equal((await call(app, 'GET', missing, { token: admin.token })).status, 404);
    await stack().temporal.workflow.getHandle(started.body.workflowId).terminate('test cleanup');
  });
});
