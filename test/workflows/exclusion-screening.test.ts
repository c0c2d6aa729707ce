import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createScreeningActivities, type ScreeningProgress } from '../../activities/screening';
import { execute, query, queryOne } from '../../db/sql';
import { type ScreeningScope, screeningWorkflowId } from '../../lib/workflow-contracts';
import { exclusionScreening } from '../../workflows/exclusion-screening';
import {
  deleteLeieRows,
  EXPECTED_MATCHES,
  insertLeieRows,
  insertPeople,
  LEIE_ROWS,
  leieTag,
  matchesOf,
  PEOPLE,
} from '../fixtures/screening';
import { createMember, createOrganization } from '../support/fixtures';
import { stack } from '../support/stack';

interface EmailRow {
  to_address: string;
  template: string;
  subject: string;
  status: string;
  provider: string;
  related_entity_type: string;
  related_entity_id: string;
}

async function alertEmails(organizationId: string): Promise<EmailRow[]> {
  return query<EmailRow>(
    stack().sequelize,
    `SELECT * FROM email_messages
      WHERE template = 'exclusion-alert' AND related_entity_id = $orgId ORDER BY to_address`,
    { orgId: organizationId },
  );
}

/** An organization with an owner, an admin and a plain member. */
async function organizationWithStaff() {
  const organization = await createOrganization('Sunrise Home Care');
  const owner = await createMember(organization.id, 'owner');
  const admin = await createMember(organization.id, 'admin');
  const member = await createMember(organization.id, 'member');
  return { organization, owner, admin, member };
}

describe('exclusionScreening workflow (real dev server, real worker, real Postgres)', () => {
  const tag = leieTag();
  before(async () => {
    await insertLeieRows(LEIE_ROWS, tag);
  });
  after(async () => deleteLeieRows(tag));

  async function run(scope: ScreeningScope, key: string = randomUUID()) {
    const taskQueue = `screening-${randomUUID()}`;
    const worker = await stack().createWorker(taskQueue, { EMAIL_PROVIDER: 'log' });
    return worker.runUntil(
      stack().temporal.workflow.execute(exclusionScreening, {
        taskQueue,
        workflowId: screeningWorkflowId(scope.kind, key),
        args: [scope],
      }),
    );
  }

  it('opens the matches and emails the owners and admins once; a rescreen opens and sends nothing', async () => {
    const { organization, owner, admin } = await organizationWithStaff();
    await insertPeople(organization.id, PEOPLE);
    const scope: ScreeningScope = { kind: 'organization', organizationId: organization.id };

    const first = await run(scope);
    const opened = (await matchesOf(organization.id)).length;
    assert.equal((await matchesOf(organization.id, tag)).length, EXPECTED_MATCHES.length);
    assert.deepEqual(first, {
      matchesOpened: opened,
      matchesSeen: 0,
      matchesResolved: 0,
      alertsSent: 1,
    });
    const emails = await alertEmails(organization.id);
    assert.deepEqual(
      emails.map((e) => [e.to_address, e.status, e.provider, e.related_entity_type]),
      [admin.user.email, owner.user.email].sort().map((to) => [to, 'sent', 'log', 'organization']),
    );
    assert.match(emails[0]?.subject ?? '', new RegExp(`\\b${opened} new possible matches`));
    const matches = await matchesOf(organization.id);
    assert.ok(matches.every((m) => m.status === 'open' && m.alerted_at !== null));

    const second = await run(scope);
    assert.deepEqual(second, {
      matchesOpened: 0,
      matchesSeen: opened,
      matchesResolved: 0,
      alertsSent: 0,
    });
    assert.equal((await alertEmails(organization.id)).length, 2);
  });

  it('an OIG import alerts each organization once for its new matches, and resolves removed keys', async () => {
    const ownTag = leieTag();
    const leavingKeys = await insertLeieRows(
      [{ label: 'leaving', lastname: 'NAKAMURA', firstname: 'KENJI', dob: '1973-07-03' }],
      ownTag,
    );
    try {
      const a = await organizationWithStaff();
      const b = await organizationWithStaff();
      await insertPeople(a.organization.id, [
        { label: 'a1', firstName: 'Astrid', lastName: 'Lindqvist', dateOfBirth: '1971-07-01' },
        { label: 'a2', firstName: 'Bruno', lastName: 'Marchetti', dateOfBirth: null },
      ]);
      const bPeople = await insertPeople(b.organization.id, [
        { label: 'b1', firstName: 'Astrid', lastName: 'Lindqvist', dateOfBirth: null },
        { label: 'b-leaving', firstName: 'Kenji', lastName: 'Nakamura', dateOfBirth: '1973-07-03' },
      ]);
      // Kenji was matched by an earlier screening; the import removes his row.
      const orgB: ScreeningScope = { kind: 'organization', organizationId: b.organization.id };
      await run(orgB);
      await execute(stack().sequelize, 'DELETE FROM email_messages WHERE related_entity_id = $orgId', {
        orgId: b.organization.id,
      });
      // The import adds two rows and removes Kenji's.
      const own = await insertLeieRows(
        [
          { label: 'new-1', lastname: 'LINDQVIST', firstname: 'ASTRID', dob: '1971-07-01' },
          { label: 'new-2', lastname: 'MARCHETTI', firstname: 'BRUNO', dob: '1972-07-02' },
        ],
        ownTag,
      );
      own.set('leaving', leavingKeys.get('leaving') as string);
      const check = await queryOne<{ id: string }>(
        stack().sequelize,
        `INSERT INTO oig_exclusions_check (trigger, status) VALUES ('schedule', 'imported') RETURNING id`,
      );
      const checkId = (check as { id: string }).id;
      await execute(
        stack().sequelize,
        `INSERT INTO oig_exclusion_changes (check_id, exclusion_key, change)
         VALUES ($checkId, $new1, 'added'), ($checkId, $new2, 'added'), ($checkId, $leaving, 'removed')`,
        { checkId, new1: own.get('new-1'), new2: own.get('new-2'), leaving: own.get('leaving') },
      );
      await execute(stack().sequelize, 'DELETE FROM oig_employees_exclusion WHERE exclusion_key = $key', {
        key: own.get('leaving'),
      });

      const result = await run({ kind: 'oig-import', checkId }, checkId);
      assert.ok(result.matchesOpened >= 3);
      assert.ok(result.matchesResolved >= 1);
      assert.ok(result.alertsSent >= 2);
      for (const org of [a, b]) {
        const emails = await alertEmails(org.organization.id);
        assert.deepEqual(
          emails.map((e) => e.to_address),
          [org.admin.user.email, org.owner.user.email].sort(),
        );
        assert.ok(!emails.some((e) => e.to_address === org.member.user.email));
      }
      assert.match((await alertEmails(a.organization.id))[0]?.subject ?? '', /\b2 new possible matches/);
      assert.match((await alertEmails(b.organization.id))[0]?.subject ?? '', /\b1 new possible match\b/);
      const leaving = (await matchesOf(b.organization.id)).find(
        (m) => m.employee_id === bPeople.get('b-leaving'),
      );
      assert.equal(leaving?.status, 'resolved');
      assert.equal(leaving?.resolution, 'removed_from_list');
    } finally {
      await deleteLeieRows(ownTag);
    }
  });

  it('fails with a non-retryable InvalidScreeningScope for a scope that is not ids', async () => {
    const error = await run({ kind: 'organization', organizationId: 'not-a-uuid' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof WorkflowFailedError);
    assert.ok(error.cause instanceof ApplicationFailure);
    assert.equal(error.cause.type, 'InvalidScreeningScope');
    assert.equal(error.cause.nonRetryable, true);
  });
});

describe('screenEmployees activity: chunks, heartbeats and resume', () => {
  const tag = leieTag();
  before(async () => {
    await insertLeieRows(LEIE_ROWS, tag);
  });
  after(async () => deleteLeieRows(tag));

  const sixMatchingPeople = PEOPLE.filter((p) =>
    ['npi', 'name-dob', 'leie-no-dob', 'suffix', 'accents', 'waived'].includes(p.label),
  );

  it('heartbeats its progress after every chunk', async () => {
    const organization = await createOrganization();
    await insertPeople(organization.id, sixMatchingPeople);
    const env = new MockActivityEnvironment();
    const beats: ScreeningProgress[] = [];
    env.on('heartbeat', (details: ScreeningProgress) => beats.push(structuredClone(details)));
    const activities = createScreeningActivities(stack().activityDeps());
    const progress: ScreeningProgress = await env.run(activities.screenEmployees, {
      scope: {
        kind: 'organization',
        organizationId: organization.id,
      } satisfies ScreeningScope as ScreeningScope,
      chunkSize: 2,
    });
    // Six people, each matching one of this test's rows (other files' LEIE rows may add more).
    assert.equal((await matchesOf(organization.id, tag)).length, 6);
    assert.equal(progress.matched, (await matchesOf(organization.id)).length);
    assert.equal(progress.opened, progress.matched);
    assert.deepEqual(
      beats.map((beat) => beat.chunks),
      [1, 2, 3],
    );
    assert.equal(beats.at(-1)?.matched, progress.matched);
    assert.ok(
      beats.every((beat, i) => i === 0 || beat.matched > (beats[i - 1] as ScreeningProgress).matched),
    );
    const afters = beats.map((beat) => beat.after);
    assert.deepEqual([...afters].sort(), afters, 'progress moves forward through employee ids');
  });

  it('resumes after the last heartbeated chunk instead of starting over', async () => {
    const organization = await createOrganization();
    const people = await insertPeople(organization.id, sixMatchingPeople);
    const ids = [...people.values()].sort();
    const heartbeatDetails: ScreeningProgress = {
      after: ids[3] as string,
      chunks: 2,
      opened: 4,
      matched: 4,
      resolved: 0,
    };
    const env = new MockActivityEnvironment({ heartbeatDetails });
    const activities = createScreeningActivities(stack().activityDeps());
    const progress: ScreeningProgress = await env.run(activities.screenEmployees, {
      scope: {
        kind: 'organization',
        organizationId: organization.id,
      } satisfies ScreeningScope as ScreeningScope,
      chunkSize: 2,
    });
    assert.equal(progress.chunks, 3);
    assert.equal(progress.matched, 4 + (await matchesOf(organization.id)).length);
    const screened = [...new Set((await matchesOf(organization.id)).map((m) => m.employee_id))].sort();
    assert.deepEqual(screened, ids.slice(4), 'only the people after the heartbeated chunk were screened');
  });
});
