import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createApp } from '../../api/app';
import { insertCheck } from '../../db/exclusion-list-store';
import { insertSourceCheck } from '../../db/exclusion-source-store';
import { deleteExpiredLiveEvents, liveEventsAfter, publishLiveEvent } from '../../db/live-event-store';
import {
  endRosterImport,
  insertRosterImport,
  markRosterImportRunning,
  recordBatchProgress,
} from '../../db/roster-import-store';
import { FIRST_EMPLOYEE_ID, nextChunk, resolveLapsedMatches, screenChunk } from '../../db/screening-store';
import { execute, inTransaction } from '../../db/sql';
import type { ScreeningScope } from '../../lib/workflow-contracts';
import { LiveEventHub, liveEventStream } from '../../services/live-events';
import {
  deleteLeieRows,
  insertLeieRows,
  insertPeople,
  LEIE_ROWS,
  leieTag,
  matchesOf,
  PEOPLE,
} from '../fixtures/screening';
import { createMember, createOrganization, createUser } from '../support/fixtures';
import { call } from '../support/http';
import { listen, openEventStream } from '../support/sse';
import { stack, testLogger } from '../support/stack';

type Replica = Awaited<ReturnType<typeof listen>>;

describe('live events (Server-Sent Events, docs/spec.md §12)', () => {
  let a: Replica;
  let b: Replica;
  const streams: { close(): void }[] = [];
  const open = async (...args: Parameters<typeof openEventStream>) => {
    const stream = await openEventStream(...args);
    streams.push(stream);
    return stream;
  };

  before(async () => {
    // Two API replicas: two apps, each with its own LISTEN connection, on one Postgres.
    a = await listen(stack().createApp({ EVENTS_HEARTBEAT_INTERVAL: 1 }));
    b = await listen(stack().createApp({ EVENTS_HEARTBEAT_INTERVAL: 1 }));
  });
  afterEach(() => {
    for (const stream of streams.splice(0)) stream.close();
  });
  after(async () => {
    await a.close();
    await b.close();
  });

  async function orgAdmin() {
    const organization = await createOrganization();
    const admin = await createMember(organization.id, 'admin');
    return { organization, ...admin, auth: { authorization: `Bearer ${admin.token}` } };
  }

  const dataOf = (event: { data: string }) => JSON.parse(event.data);

  it('delivers an event committed through one replica to a client of the other, with ids and no PHI', async () => {
    const { organization, token, auth } = await orgAdmin();
    const stream = await open(`${b.url}/v1/organizations/${organization.id}/events`, auth);
    assert.equal(stream.status, 200);
    assert.match(stream.response.headers.get('content-type') ?? '', /^text\/event-stream/);
    await stream.until(() => stream.comments.includes('connected'));

    const renamed = await fetch(`${a.url}/v1/organizations/${organization.id}`, {
      method: 'PATCH',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Renamed Agency' }),
    });
    assert.equal(renamed.status, 200, await renamed.clone().text());
    await stream.until(() => stream.events.some((e) => e.event === 'organization.updated'));
    const [event] = stream.events.filter((e) => e.event === 'organization.updated');
    assert.match(event?.id ?? '', /^\d+$/);
    assert.deepEqual(dataOf(event as never), {
      organizationId: organization.id,
      status: 'active',
      dnsStatus: 'in_sync',
    });
    assert.doesNotMatch(event?.data ?? '', /Renamed/);
    assert.ok(token);
  });

  it('announces an invitation created and revoked through the API (invitation.updated), ids and status only', async () => {
    const { organization, auth } = await orgAdmin();
    const stream = await open(`${b.url}/v1/organizations/${organization.id}/events`, auth);
    await stream.until(() => stream.comments.includes('connected'));
    const email = `invitee-${randomUUID()}@example.test`;
    const invitations = `${a.url}/v1/organizations/${organization.id}/invitations`;
    const created = await fetch(invitations, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ email, role: 'member' }),
    });
    assert.equal(created.status, 202, await created.clone().text());
    const { id } = (await created.json()) as { id: string };
    const revoked = await fetch(`${invitations}/${id}`, { method: 'DELETE', headers: auth });
    assert.equal(revoked.status, 202, await revoked.clone().text());
    const statuses = () =>
      stream.events.filter((e) => e.event === 'invitation.updated').map((e) => dataOf(e).status);
    await stream.until(() => statuses().includes('revoked'), 5000, 'the revocation');
    assert.equal(statuses()[0], 'pending');
    const first = stream.events.find((e) => e.event === 'invitation.updated');
    assert.deepEqual(dataOf(first as never), {
      invitationId: id,
      organizationId: organization.id,
      status: 'pending',
      role: 'member',
    });
    assert.ok(
      stream.events.every((e) => !e.data.includes(email)),
      'no email address in any event',
    );
  });

  it("does not send another organization's events, and sends heartbeat comments", async () => {
    const mine = await orgAdmin();
    const other = await orgAdmin();
    const stream = await open(`${a.url}/v1/organizations/${mine.organization.id}/events`, mine.auth);
    await stream.until(() => stream.comments.includes('connected'));
    await publishLiveEvent(stack().sequelize, {
      type: 'organization.updated',
      organizationId: other.organization.id,
      subjectId: other.organization.id,
      data: { organizationId: other.organization.id },
    });
    const own = await publishLiveEvent(stack().sequelize, {
      type: 'organization.updated',
      organizationId: mine.organization.id,
      subjectId: mine.organization.id,
      data: { organizationId: mine.organization.id },
    });
    await stream.until(() => stream.events.some((e) => e.id === own));
    assert.deepEqual(
      stream.events.map((e) => dataOf(e).organizationId),
      [mine.organization.id],
    );
    await stream.until(() => stream.comments.includes('heartbeat'), 3000, 'a heartbeat');
  });

  it('resumes after a reconnect with Last-Event-ID: no gap, no repeat, on the other replica', async () => {
    const { organization, auth } = await orgAdmin();
    const publish = (n: number) =>
      publishLiveEvent(stack().sequelize, {
        type: 'invitation.updated',
        organizationId: organization.id,
        subjectId: null,
        data: { n },
      });
    const first = await open(`${a.url}/v1/organizations/${organization.id}/events`, auth);
    await first.until(() => first.comments.includes('connected'));
    await publish(1);
    await first.until(() => first.events.length === 1);
    first.close();
    const lastId = first.events[0]?.id as string;
    for (const n of [2, 3, 4]) await publish(n);

    const second = await open(`${b.url}/v1/organizations/${organization.id}/events`, {
      ...auth,
      'last-event-id': lastId,
    });
    await second.until(() => second.events.length >= 3);
    await publish(5);
    await second.until(() => second.events.length >= 4);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(
      second.events.map((e) => dataOf(e).n),
      [2, 3, 4, 5],
    );
    const ids = second.events.map((e) => BigInt(e.id as string));
    assert.ok(ids.every((id, i) => i === 0 || id > (ids[i - 1] as bigint)));
  });

  it('catches up more than a page of events in id order (ids of any number of digits)', async () => {
    const { organization, auth } = await orgAdmin();
    const first = await publishLiveEvent(stack().sequelize, {
      type: 'import.progress',
      organizationId: organization.id,
      subjectId: null,
      data: { n: 0 },
    });
    await inTransaction(stack().sequelize, async (tx) => {
      for (let n = 1; n <= 1200; n++) {
        await publishLiveEvent(tx, {
          type: 'import.progress',
          organizationId: organization.id,
          subjectId: null,
          data: { n },
        });
      }
    });
    const stream = await open(`${b.url}/v1/organizations/${organization.id}/events`, {
      ...auth,
      'last-event-id': first,
    });
    await stream.until(() => stream.events.length >= 1200, 10_000, '1200 events');
    assert.deepEqual(
      stream.events.map((e) => dataOf(e).n),
      Array.from({ length: 1200 }, (_, i) => i + 1),
    );
  });

  it('keeps events 24 h: older ones are deleted, newer ones stay', async () => {
    const { organization } = await orgAdmin();
    const publish = (n: number) =>
      publishLiveEvent(stack().sequelize, {
        type: 'organization.updated',
        organizationId: organization.id,
        subjectId: null,
        data: { n },
      });
    const old = await publish(1);
    const recent = await publish(2);
    await execute(
      stack().sequelize,
      "UPDATE live_events SET created_at = now() - interval '25 hours' WHERE id = $id::bigint",
      {
        id: old,
      },
    );
    await deleteExpiredLiveEvents(stack().sequelize);
    const kept = await liveEventsAfter(stack().sequelize, '0', {
      organizationId: organization.id,
      limit: 10,
    });
    assert.deepEqual(
      kept.map((e) => e.id),
      [recent],
    );
  });

  it('answers 400 for a Last-Event-ID that is not one of its ids', async () => {
    const { organization, auth } = await orgAdmin();
    for (const garbage of ['abc', '-1', '1e5', '12345678901234567890123', '1; DROP TABLE x']) {
      const response = await call(stack().createApp(), 'GET', `/v1/organizations/${organization.id}/events`, {
        headers: { ...auth, 'last-event-id': garbage },
      });
      assert.equal(response.status, 400, garbage);
      assert.equal(response.body.errors[0].path, 'Last-Event-ID');
    }
  });

  it('resumes from now after a Last-Event-ID past the newest event (one of another database)', async () => {
    const { organization, auth } = await orgAdmin();
    const stream = await open(`${a.url}/v1/organizations/${organization.id}/events`, {
      ...auth,
      'last-event-id': '999999999999999',
    });
    assert.equal(stream.status, 200);
    await stream.until(() => stream.comments.includes('connected'));
    await publishLiveEvent(stack().sequelize, {
      type: 'invitation.updated',
      organizationId: organization.id,
      subjectId: null,
      data: { after: 'a future id' },
    });
    await stream.until(() => stream.events.some((e) => e.event === 'invitation.updated'));
    assert.deepEqual(stream.events.map(dataOf), [{ after: 'a future id' }]);
  });

  it('ends a stream when its session ends (logout), at once; a stream of another session goes on', async () => {
    const { organization, token, auth } = await orgAdmin();
    const stream = await open(`${a.url}/v1/organizations/${organization.id}/events`, auth);
    const other = await orgAdmin();
    const kept = await open(`${b.url}/v1/organizations/${other.organization.id}/events`, other.auth);
    await stream.until(() => stream.comments.includes('connected'));
    await kept.until(() => kept.comments.includes('connected'));

    const loggedOut = await call(stack().createApp(), 'POST', '/v1/auth/logout', { token });
    assert.equal(loggedOut.status, 204);
    const started = Date.now();
    await stream.until(() => stream.ended, 5000, 'the stream to end');
    assert.ok(Date.now() - started < 3000, `ended ${Date.now() - started} ms after the logout`);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(kept.ended, false, 'the other session’s stream is still open');
  });

  it('streams an import’s progress at most twice a second, then import.finished with the counts', async () => {
    const { organization, auth } = await orgAdmin();
    const stream = await open(`${a.url}/v1/organizations/${organization.id}/events`, auth);
    await stream.until(() => stream.comments.includes('connected'));
    const db = stack().sequelize;
    const importId = randomUUID();
    await insertRosterImport(db, {
      id: importId,
      organizationId: organization.id,
      kind: 'employees',
      bucket: 'b',
      key: `k/${importId}.csv`,
      etag: null,
      format: 'csv',
      mode: 'merge',
      dryRun: false,
      force: false,
      workflowId: null,
      createdBy: null,
    });
    await markRosterImportRunning(db, importId, null);
    const started = Date.now();
    for (let batch = 0; batch < 20; batch++) {
      await inTransaction(db, (tx) =>
        recordBatchProgress(tx, {
          importId,
          rowsBefore: batch * 10,
          rows: 10,
          inserted: 10,
          updated: 0,
          unchanged: 0,
          rejected: 0,
          externalIds: [],
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await endRosterImport(db, importId, 'succeeded', null);
    const seconds = (Date.now() - started) / 1000;
    await stream.until(() => stream.events.some((e) => e.event === 'import.finished'));
    const progress = stream.events.filter((e) => e.event === 'import.progress');
    assert.ok(progress.length >= 1, 'progress was reported');
    assert.ok(progress.length <= Math.ceil(seconds * 2) + 1, `${progress.length} in ${seconds}s`);
    const finished = dataOf(stream.events.find((e) => e.event === 'import.finished') as never);
    assert.equal(finished.importId, importId);
    assert.equal(finished.status, 'succeeded');
    assert.equal(finished.rowsProcessed, 200);
    assert.equal(finished.counts.inserted, 200);
  });

  it('announces the matches a screening opens (match.opened) and a review (match.updated), ids only', async () => {
    const tag = leieTag();
    await insertLeieRows(LEIE_ROWS, tag);
    try {
      const { organization, token, auth } = await orgAdmin();
      await insertPeople(organization.id, PEOPLE);
      const stream = await open(`${a.url}/v1/organizations/${organization.id}/events`, auth);
      await stream.until(() => stream.comments.includes('connected'));
      const scope: ScreeningScope = { kind: 'organization', organizationId: organization.id };
      await resolveLapsedMatches(stack().sequelize, scope);
      let after = FIRST_EMPLOYEE_ID;
      for (;;) {
        const chunk = await nextChunk(stack().sequelize, scope, after, 1000);
        if (!chunk) break;
        await screenChunk(stack().sequelize, scope, chunk);
        if (chunk.upto === null) break;
        after = chunk.upto;
      }
      const matches = await matchesOf(organization.id);
      assert.ok(matches.length > 0);
      const opened = () => stream.events.filter((e) => e.event === 'match.opened');
      await stream.until(() => opened().length === matches.length, 5000, 'a match.opened per match');
      assert.deepEqual(
        opened()
          .map((e) => dataOf(e).matchId)
          .sort(),
        matches.map((m) => m.id).sort(),
      );
      for (const event of opened()) {
        assert.deepEqual(Object.keys(dataOf(event)).sort(), [
          'employeeId',
          'matchId',
          'organizationId',
          'reason',
          'source',
          'status',
        ]);
      }

      const [match] = matches;
      const reviewed = await call(
        stack().createApp(),
        'PATCH',
        `/v1/organizations/${organization.id}/exclusion-matches/${match?.id}`,
        {
          token,
          json: { status: 'dismissed', note: 'Different person' },
        },
      );
      assert.equal(reviewed.status, 200);
      await stream.until(() => stream.events.some((e) => e.event === 'match.updated'));
      const updated = dataOf(stream.events.find((e) => e.event === 'match.updated') as never);
      assert.equal(updated.matchId, match?.id);
      assert.equal(updated.status, 'dismissed');
      assert.ok(!JSON.stringify(stream.events).includes('Different person'), 'the note is not in the event');
    } finally {
      await deleteLeieRows(tag);
    }
  });

  describe('tickets (POST /v1/auth/event-ticket, ?ticket=)', () => {
    async function ticket(token: string, body?: object) {
      const response = await call(stack().createApp(), 'POST', '/v1/auth/event-ticket', {
        token,
        json: body,
      });
      return response;
    }

    it('opens a stream once; a used, expired or unknown ticket is 401', async () => {
      const { organization, token } = await orgAdmin();
      const issued = await ticket(token);
      assert.equal(issued.status, 200);
      assert.equal(issued.body.expiresIn, 60);
      const url = `${b.url}/v1/organizations/${organization.id}/events?ticket=${issued.body.ticket}`;
      const stream = await open(url);
      assert.equal(stream.status, 200);
      stream.close();
      assert.equal((await open(url)).status, 401, 'used');

      const expiring = await ticket(token);
      await execute(
        stack().sequelize,
        "UPDATE event_tickets SET expires_at = now() - interval '1 second' WHERE used_at IS NULL AND user_id = $userId",
        { userId: (await findUserId(token)) as string },
      );
      const expired = await open(
        `${b.url}/v1/organizations/${organization.id}/events?ticket=${expiring.body.ticket}`,
      );
      assert.equal(expired.status, 401, 'expired');
      const unknown = await open(`${b.url}/v1/organizations/${organization.id}/events?ticket=nope`);
      assert.equal(unknown.status, 401, 'unknown');
      assert.equal((await unknown.response.json()).status, 401);
    });

    it("refuses another organization's ticket (401) and a stream of an organization the user is not in (404)", async () => {
      const mine = await orgAdmin();
      const other = await orgAdmin();
      const bound = await ticket(mine.token, { organizationId: mine.organization.id });
      assert.equal(bound.status, 200);
      const elsewhere = await open(
        `${a.url}/v1/organizations/${other.organization.id}/events?ticket=${bound.body.ticket}`,
      );
      assert.equal(elsewhere.status, 401);
      // Bound to my organization, it still opens my stream (a refusal elsewhere does not use it up).
      const ok = await open(
        `${a.url}/v1/organizations/${mine.organization.id}/events?ticket=${bound.body.ticket}`,
      );
      assert.equal(ok.status, 200);

      const unbound = await ticket(mine.token);
      const notMine = await open(
        `${a.url}/v1/organizations/${other.organization.id}/events?ticket=${unbound.body.ticket}`,
      );
      assert.equal(notMine.status, 404);
      assert.equal((await ticket(mine.token, { organizationId: other.organization.id })).status, 404);
      assert.equal((await ticket(mine.token, { organizationId: 'not-a-uuid' })).status, 422);
    });

    it('needs an org admin for the org stream and a platform admin for /v1/events', async () => {
      const { organization } = await orgAdmin();
      const member = await createMember(organization.id, 'member');
      const asMember = await open(`${a.url}/v1/organizations/${organization.id}/events`, {
        authorization: `Bearer ${member.token}`,
      });
      assert.equal(asMember.status, 403);
      assert.equal((await open(`${a.url}/v1/organizations/${organization.id}/events`)).status, 401);
      const platform = await open(`${a.url}/v1/events`, { authorization: `Bearer ${member.token}` });
      assert.equal(platform.status, 403);
      assert.equal((await call(stack().createApp(), 'POST', '/v1/auth/event-ticket', {})).status, 401);
    });
  });

  it('gives platform admins every organization’s events and source.check', async () => {
    const { token } = await createUser({ platformAdmin: true });
    const { organization } = await orgAdmin();
    const stream = await open(`${b.url}/v1/events`, { authorization: `Bearer ${token}` });
    assert.equal(stream.status, 200);
    await stream.until(() => stream.comments.includes('connected'));
    const checkId = randomUUID();
    await insertCheck(stack().sequelize, {
      checkId,
      trigger: 'manual',
      sourceUpdatedOn: null,
      status: 'failed',
      rowCount: null,
      startedAt: Date.now(),
      error: 'unreachable',
      workflowId: `test-${checkId}`,
    } as never);
    const samCheckId = randomUUID();
    // As an import records its check: inserted, then its counts written, in one transaction.
    await inTransaction(stack().sequelize, async (tx) => {
      await insertSourceCheck(tx, {
        checkId: samCheckId,
        sourceId: 'sam',
        trigger: 'manual',
        workflowId: `test-${samCheckId}`,
        startedAt: Date.now(),
        status: 'imported',
        rowCount: 1,
      });
      await execute(tx, 'UPDATE exclusion_source_checks SET added = 1, removed = 0 WHERE id = $id', {
        id: samCheckId,
      });
    });
    await publishLiveEvent(stack().sequelize, {
      type: 'match.updated',
      organizationId: organization.id,
      subjectId: null,
      data: { matchId: checkId },
    });
    await stream.until(() => stream.events.some((e) => e.event === 'match.updated'));
    // An imported list's check makes the list loaded for every later screening: gone again.
    await execute(stack().sequelize, 'DELETE FROM exclusion_source_checks WHERE id = $id', {
      id: samCheckId,
    });
    const checks = stream.events.filter((e) => e.event === 'source.check').map(dataOf);
    // One event per check: writing its counts is no second announcement.
    assert.deepEqual(checks, [
      { checkId, source: 'leie', status: 'failed' },
      { checkId: samCheckId, source: 'sam', status: 'imported' },
    ]);
  });

  it('ends every stream on shutdown (closeAll), so the server can stop and clients resume elsewhere', async () => {
    const { organization, auth } = await orgAdmin();
    const { config, sequelize, temporal } = stack();
    const hub = new LiveEventHub({ databaseUrl: config.DATABASE_URL, sequelize, logger: testLogger });
    const replica = await listen(
      createApp({ config, sequelize, temporal, logger: testLogger, liveEvents: hub }),
    );
    try {
      const stream = await open(`${replica.url}/v1/organizations/${organization.id}/events`, auth);
      await stream.until(() => stream.comments.includes('connected'));
      assert.equal(hub.subscriberCount, 1);
      await hub.closeAll();
      await stream.until(() => stream.ended, 5000, 'the stream to end').catch(() => {});
      assert.ok(stream.ended, 'the stream ended');
      assert.equal(hub.subscriberCount, 0);
    } finally {
      await replica.close();
    }
  });

  it('drops a client that does not read instead of buffering without bound', async () => {
    const { organization } = await orgAdmin();
    const hub = new LiveEventHub({
      databaseUrl: stack().config.DATABASE_URL,
      sequelize: stack().sequelize,
      logger: testLogger,
    });
    const body = liveEventStream(hub, stack().sequelize, {
      organizationId: organization.id,
      heartbeatMs: 60_000,
      maxQueuedBytes: 8 * 1024,
      logger: testLogger,
    });
    const reader = body.getReader();
    const first = await reader.read(); // ': connected', then nobody reads
    assert.match(new TextDecoder().decode(first.value), /connected/);
    await inTransaction(stack().sequelize, async (tx) => {
      for (let n = 0; n < 1000; n++) {
        await publishLiveEvent(tx, {
          type: 'invitation.updated',
          organizationId: organization.id,
          subjectId: null,
          data: { n, padding: 'x'.repeat(200) },
        });
      }
    });
    const deadline = Date.now() + 5000;
    while (hub.subscriberCount > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(hub.subscriberCount, 0, 'the slow client was unsubscribed');
    await assert.rejects(async () => {
      for (;;) if ((await reader.read()).done) break;
    }, /slow client/);
  });

  async function findUserId(token: string) {
    const me = await call(stack().createApp(), 'GET', '/v1/auth/me', { token });
    return me.body.id as string;
  }
});
