import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
  claimWorkflowIntents,
  deleteWorkflowIntent,
  insertWorkflowIntent,
  insertWorkflowIntentForRequest,
  releaseWorkflowIntent,
} from '../../db/workflow-outbox-store';
import type { WorkflowIntent } from '../../lib/workflow-intents';
import { retryDelayMs } from '../../services/workflow-outbox';
import { stack } from '../support/stack';

/** The outbox's claims (docs/spec.md §12): in order per entity, never one row to two relays. */

const signal = (n: number): WorkflowIntent => ({
  kind: 'signal',
  workflowId: `test/${n}`,
  signal: 'resend',
  signalArgs: [],
});

describe('workflow outbox store', () => {
  it('hands out only the oldest intent of an entity, and the next one once it is delivered', async () => {
    const db = stack().sequelize;
    const entity = `test-entity/${randomUUID()}`;
    const first = await insertWorkflowIntent(db, entity, signal(1));
    const second = await insertWorkflowIntent(db, entity, signal(2));
    const claim = () => claimWorkflowIntents(db, { limit: 10, leaseSeconds: 60, entityKey: entity });

    assert.deepEqual(
      (await claim()).map((row) => row.id),
      [first],
    );
    assert.deepEqual(await claim(), [], 'the head is leased and the second waits behind it');
    await deleteWorkflowIntent(db, first);
    const [next] = await claim();
    assert.equal(next?.id, second);
    assert.deepEqual(next?.intent, signal(2));
  });

  it('two relays claiming at once never get the same intent', async () => {
    const db = stack().sequelize;
    const entity = `test-entity/${randomUUID()}`;
    const id = await insertWorkflowIntent(db, entity, signal(1));
    const claims = await Promise.all(
      Array.from({ length: 8 }, () =>
        claimWorkflowIntents(db, { limit: 5, leaseSeconds: 60, entityKey: entity }),
      ),
    );
    assert.deepEqual(
      claims.flat().map((row) => row.id),
      [id],
    );
  });

  it('a failed attempt counts, keeps its error and waits its backoff; a plain release does not count', async () => {
    const db = stack().sequelize;
    const entity = `test-entity/${randomUUID()}`;
    const id = await insertWorkflowIntent(db, entity, signal(1));
    const claim = () => claimWorkflowIntents(db, { limit: 1, leaseSeconds: 60, entityKey: entity });
    await claim();
    await releaseWorkflowIntent(db, { id, delayMs: 0, error: null });
    const [again] = await claim();
    assert.equal(again?.attempts, 0);
    await releaseWorkflowIntent(db, { id, delayMs: 60_000, error: 'Unavailable' });
    assert.deepEqual(await claim(), [], 'not due before its backoff');
    await releaseWorkflowIntent(db, { id, delayMs: 0, error: 'Unavailable' });
    assert.equal((await claim())[0]?.attempts, 2);
  });

  it("a request's own intent is leased to it when it is its entity's only one; behind another it waits unleased", async () => {
    const db = stack().sequelize;
    const entity = `test-entity/${randomUUID()}`;
    const claim = () => claimWorkflowIntents(db, { limit: 10, leaseSeconds: 60, entityKey: entity });
    const own = await insertWorkflowIntentForRequest(db, entity, signal(1), 60);
    assert.equal(own.leased, true);
    const behind = await insertWorkflowIntentForRequest(db, entity, signal(2), 60);
    assert.equal(behind.leased, false);
    assert.deepEqual(
      await claim(),
      [],
      'a relay leaves the leased head alone, and the second waits behind it',
    );
    // The request could not deliver: it gives its intent back, and the relay takes the entity in order.
    await releaseWorkflowIntent(db, { id: own.id, delayMs: 0, error: 'Unavailable' });
    assert.deepEqual(
      (await claim()).map((row) => row.id),
      [own.id],
    );
    // A request that died after its commit: once its lease lapses, a relay delivers the intent.
    const orphanEntity = `test-entity/${randomUUID()}`;
    const orphan = await insertWorkflowIntentForRequest(db, orphanEntity, signal(3), 0);
    assert.equal(orphan.leased, true);
    const [lapsed] = await claimWorkflowIntents(db, { limit: 1, leaseSeconds: 60, entityKey: orphanEntity });
    assert.equal(lapsed?.id, orphan.id);
  });

  it('backoff doubles from half a second up to its cap', () => {
    assert.deepEqual(
      [0, 1, 2, 3, 10].map((attempts) => retryDelayMs(attempts, 5_000)),
      [500, 1_000, 2_000, 4_000, 5_000],
    );
  });
});
