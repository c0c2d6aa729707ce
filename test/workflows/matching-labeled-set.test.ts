import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { EXCLUSION_SOURCE_IDS } from '../../domain/exclusion-sources/source';
import { type ScreeningScope, screeningWorkflowId } from '../../lib/workflow-contracts';
import { exclusionScreening } from '../../workflows/exclusion-screening';
import {
  deleteLabeledSet,
  formatScore,
  insertLabeledSet,
  labeledSet,
  scoreLabeledSet,
} from '../fixtures/matching-set';
import { createOrganization } from '../support/fixtures';
import { stack } from '../support/stack';

/**
 * The labeled set (test/fixtures/matching-labeled-set.json, scripts/generate-matching-set.ts) through
 * the real exclusionScreening workflow on the real worker and Postgres, every source enabled
 * (docs/spec.md §9): every true variant found with its labeled reason, no near miss matched, and no
 * person matched to another pair's record.
 */
describe('tolerant matching: the labeled set through the screening workflow (docs/spec.md §9)', () => {
  const tag = `labeled-${randomUUID()}`;
  const { pairs } = labeledSet();
  after(async () => deleteLabeledSet(stack().sequelize, tag));

  it('holds ≥ 300 pairs of every rule', () => {
    assert.ok(pairs.length >= 300, `${pairs.length} pairs`);
    assert.ok(pairs.filter((pair) => pair.expected === null).length >= 100);
    for (const reason of ['npi', 'name_dob', 'alias_dob', 'nickname_dob', 'fuzzy_dob', 'name']) {
      assert.ok(
        pairs.filter((pair) => pair.expected === reason).length >= 10,
        `at least 10 variants for ${reason}`,
      );
    }
  });

  it('finds 100 % of the variants with their reason and none of the near misses', async () => {
    const organization = await createOrganization('Labeled Set Agency');
    await insertLabeledSet(stack().sequelize, organization.id, pairs, tag);
    const scope: ScreeningScope = { kind: 'organization', organizationId: organization.id };
    const taskQueue = `labeled-${randomUUID()}`;
    const worker = await stack().createWorker(taskQueue, {
      EMAIL_PROVIDER: 'log',
      EXCLUSION_SOURCES: [...EXCLUSION_SOURCE_IDS],
    });
    const result = await worker.runUntil(
      stack().temporal.workflow.execute(exclusionScreening, {
        taskQueue,
        workflowId: screeningWorkflowId(scope.kind, randomUUID()),
        args: [scope],
      }),
    );
    assert.ok(result.matchesOpened > 0);
    const score = await scoreLabeledSet(stack().sequelize, organization.id, pairs, tag);
    const table = formatScore(score);
    assert.deepEqual(score.missed, [], `variants missed:\n${table}`);
    assert.deepEqual(score.nearMissesMatched, [], `near misses matched:\n${table}`);
    assert.equal(score.crossMatches, 0, table);
    for (const [reason, counts] of Object.entries(score.byReason)) {
      assert.equal(counts.found, counts.labeled, `recall of ${reason}`);
      assert.equal(counts.correct, counts.reported, `precision of ${reason}`);
    }
  });
});
