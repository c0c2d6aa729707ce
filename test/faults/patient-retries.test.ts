import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { allRowsInserted, createOrganization } from '../support/fixtures';
import { stack } from '../support/stack';
import { until } from '../workflows/organization-support';
import {
  employeeCsv,
  employeesOf,
  importErrors,
  importRow,
  stageImport,
  startImportWorkflow,
} from '../workflows/roster-import-support';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * docs/spec.md §12: activities doing idempotent database or S3 work retry without an attempt limit,
 * backoff capped at one minute. A shortened outage here (the hour of the spec would only wait
 * longer between the same attempts): Postgres stopped in the middle of an import's file.
 */
describe('patient retries: Postgres away in the middle of an import (docs/spec.md §12)', function () {
  this.timeout(240_000);

  it('the import waits the outage out and ends with exactly the rows of its file; its activities have no attempt limit', async () => {
    const rows = 20_000;
    const organization = await createOrganization('Patient Care');
    const imp = await stageImport(organization.id, employeeCsv(rows));
    const taskQueue = `patient-${randomUUID()}`;
    const worker = await stack().createWorker(taskQueue);
    const handle = await startImportWorkflow(taskQueue, imp.id, 200);
    const summary = await worker.runUntil(async () => {
      await until(
        'an import in the middle of its file',
        async () => {
          const processed = (await importRow(imp.id)).rowsProcessed;
          return processed >= 1_000 && processed < rows;
        },
        60_000,
      );
      // Longer than the old policies' first attempts together (1+2+4+8 s…), shorter than a test run.
      await stack().restart.postgres(() => sleep(25_000));
      return handle.result();
    });

    assert.equal(summary.status, 'succeeded');
    assert.deepEqual(summary.counts, allRowsInserted(rows));
    const people = await employeesOf(organization.id);
    assert.equal(people.length, rows);
    assert.equal(new Set(people.map((person) => person.external_id)).size, rows);
    assert.deepEqual(await importErrors(imp.id), []);
    assert.equal((await importRow(imp.id)).status, 'succeeded');

    const events = (await handle.fetchHistory()).events ?? [];
    const scheduled = events
      .map((event) => event.activityTaskScheduledEventAttributes)
      .filter((attributes) => attributes != null);
    assert.ok(scheduled.length >= 3);
    for (const attributes of scheduled) {
      const policy = attributes.retryPolicy;
      assert.equal(policy?.maximumAttempts ?? 0, 0, `${attributes.activityType?.name} has no attempt limit`);
      assert.equal(Number(policy?.maximumInterval?.seconds), 60, 'backoff capped at one minute');
    }
    const retried = events.some((event) => (event.activityTaskStartedEventAttributes?.attempt ?? 1) > 1);
    assert.ok(retried, 'an activity met the outage and ran again');
  });
});
