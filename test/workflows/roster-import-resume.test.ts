import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createWorker } from '../../workers/create-worker';
import { createOrganization } from '../support/fixtures';
import { stack } from '../support/stack';
import {
  employeeCsv,
  employeesOf,
  importErrors,
  importRow,
  stageImport,
  startImportWorkflow,
} from './roster-import-support';

const ROWS = 20_000;
const BATCH = 100;

async function waitForProgress(importId: string, atLeast: number) {
  for (let i = 0; i < 1500; i++) {
    const imp = await importRow(importId);
    if (imp.rowsProcessed >= atLeast) return imp.rowsProcessed;
    await sleep(20);
  }
  throw new Error('the import made no progress');
}

describe('rosterImport: resume and cancel mid-file (real worker, dev server, Postgres, moto)', () => {
  it('a worker stopped mid-file: the retry resumes after the last committed batch — exact rows and counts', async function () {
    this.timeout(180_000);
    const org = await createOrganization();
    // One person keyed by e-mail first, and at the end three repeats of keys committed before the stop:
    // the retry still knows them (external ids from the committed batches, e-mails from their claims).
    const [header, ...rows] = employeeCsv(ROWS).trimEnd().split('\n');
    const csv = [
      header,
      ',Mia,Mail,,,Mia@X.test',
      ...rows,
      'E1,Dup,One,,,',
      ',Dup,Two,,,mia@x.test',
      'E7,Dup,Three,,,',
    ];
    const imp = await stageImport(org.id, `${csv.join('\n')}\n`);
    const taskQueue = `roster-resume-${randomUUID()}`;
    // No grace period: the activity is cancelled at the next batch boundary, like a worker going away.
    const first = await createWorker({
      connection: stack().workerConnection,
      taskQueue,
      workflowBundle: stack().workflowBundle,
      deps: stack().activityDeps(),
      shutdownGraceSeconds: 0,
    });
    const firstRun = first.run();
    const handle = await startImportWorkflow(taskQueue, imp.id, BATCH);
    await waitForProgress(imp.id, 10 * BATCH);
    first.shutdown();
    await firstRun;
    const atStop = (await importRow(imp.id)).rowsProcessed;
    assert.ok(atStop > 0 && atStop < ROWS, `stopped mid-file (${atStop} of ${ROWS})`);
    assert.equal(atStop % BATCH, 0, 'only whole batches are committed');
    assert.equal((await employeesOf(org.id)).length, atStop, 'rows and counters are committed together');

    const second = await stack().createWorker(taskQueue);
    const summary = await second.runUntil(handle.result());
    assert.equal(summary.status, 'succeeded');
    assert.deepEqual(summary.counts, {
      total: ROWS + 4,
      inserted: ROWS + 1,
      updated: 0,
      unchanged: 0,
      deactivated: 0,
      rejected: 3,
    });
    assert.equal(summary.rowsProcessed, ROWS + 4);
    const people = await employeesOf(org.id);
    assert.equal(people.length, ROWS + 1);
    assert.equal(new Set(people.map((p) => p.external_id ?? p.email)).size, ROWS + 1);
    assert.deepEqual(
      people.filter((p) => ['E1', 'E7', null].includes(p.external_id)).map((p) => p.first_name),
      ['First1', 'First7', 'Mia'],
      'the first occurrences won',
    );
    assert.deepEqual(
      (await importErrors(imp.id)).map((e) => [e.row_number, e.column, e.code, e.value]),
      [
        [ROWS + 3, 'external_id', 'duplicate_in_file', 'E1'],
        [ROWS + 4, 'email', 'duplicate_in_file', 'mia@x.test'],
        [ROWS + 5, 'external_id', 'duplicate_in_file', 'E7'],
      ],
      'only the repeats were rejected: no row was seen twice',
    );
    // The read activity really ran more than once.
    const history = await handle.fetchHistory();
    const attempts = (history.events ?? [])
      .map((e) => e.activityTaskStartedEventAttributes?.attempt)
      .filter((a): a is number => typeof a === 'number');
    assert.ok(Math.max(...attempts) >= 2, `attempts: ${attempts}`);
  });

  it('cancel stops between batches: status cancelled, the committed rows and counts agree, nobody deactivated', async function () {
    this.timeout(180_000);
    const org = await createOrganization();
    await stack().sequelize.query(
      `INSERT INTO employees (organization_id, kind, external_id, first_name, last_name, first_name_norm, last_name_norm)
       VALUES ($1, 'employee', 'OLD-1', 'Old', 'Timer', 'OLD', 'TIMER')`,
      { bind: [org.id] },
    );
    // Forced: OLD-1 is the whole roster before the import, so the guard (which counts the roster as
    // it was, docs/spec.md §4.2) would refuse the file before any batch; the cancel is the point here.
    const imp = await stageImport(org.id, employeeCsv(ROWS), { mode: 'replace', force: true });
    const taskQueue = `roster-cancel-${randomUUID()}`;
    const worker = await stack().createWorker(taskQueue);
    const handle = await startImportWorkflow(taskQueue, imp.id, BATCH);
    const summary = await worker.runUntil(async () => {
      await waitForProgress(imp.id, 5 * BATCH);
      // What POST …/imports/{id}/cancel does.
      await stack().sequelize.query('UPDATE roster_imports SET cancel_requested_at = now() WHERE id = $1', {
        bind: [imp.id],
      });
      return handle.result();
    });
    assert.equal(summary.status, 'cancelled');
    const row = await importRow(imp.id);
    assert.equal(row.status, 'cancelled');
    assert.ok(row.rowsProcessed < ROWS, `stopped early (${row.rowsProcessed})`);
    assert.equal(row.insertedCount, row.rowsProcessed);
    assert.equal(row.deactivatedCount, 0);
    const people = await employeesOf(org.id);
    assert.equal(people.length, row.rowsProcessed + 1);
    assert.equal(people.find((p) => p.external_id === 'OLD-1')?.status, 'active', 'replace never ran');
  });
});
