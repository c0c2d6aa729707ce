import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { execute, query, queryOne } from '../../db/sql';
import { insertWorkflowIntent } from '../../db/workflow-outbox-store';
import type { Config } from '../../lib/config';
import { SCREENING_WORKFLOW_TYPE } from '../../lib/workflow-contracts';
import type { WorkflowIntent } from '../../lib/workflow-intents';
import { organizationScreeningEntityKey } from '../../services/screenings';
import { sendWorkflowIntent } from '../../services/send-workflow-intent';
import { call } from '../support/http';
import { organizationWithOnePerson } from '../support/outbox-screenings';
import { stack } from '../support/stack';

/**
 * A rescreen whose execution is gone never holds later requests back (docs/spec.md §5, §12;
 * db/screening-run-store.ts): an operator terminates the execution, a requested run waits longer
 * than the join window, or the answer to a start that waits for a running execution is lost.
 */

interface RunRow {
  id: string;
  status: string;
  error: string | null;
  workflow_run_id: string | null;
  finished_at: Date | null;
}

const runsOf = (workflowId: string) =>
  query<RunRow>(
    stack().sequelize,
    `SELECT id, status, error, workflow_run_id, finished_at FROM screening_runs
     WHERE workflow_id = $workflowId ORDER BY started_at, id`,
    { workflowId },
  );

/** A screening run row as an execution (`runId`) or a request (`runId: null`) left it `age` ago. */
async function insertRun(
  organizationId: string,
  workflowId: string,
  row: { runId: string | null; age: string },
): Promise<string> {
  const inserted = await queryOne<{ id: string }>(
    stack().sequelize,
    `INSERT INTO screening_runs (organization_id, trigger, workflow_id, workflow_run_id, started_at)
     VALUES ($organizationId, 'manual', $workflowId, $runId, now() - $age::interval) RETURNING id`,
    { organizationId, workflowId, ...row },
  );
  return inserted?.id as string;
}

describe('rescreens whose execution is gone (docs/spec.md §12)', function () {
  this.timeout(120_000);

  it('an execution terminated before it adopted the requested run: the next request joins the run and starts an execution that fills it', async () => {
    const taskQueue = `abandoned-requested-${randomUUID()}`;
    const overrides: Partial<Config> = { TEMPORAL_TASK_QUEUE: taskQueue };
    const app = stack().createApp(overrides);
    const { admin, workflowId, path } = await organizationWithOnePerson('Terminated Early Care');
    // No worker polls the queue yet: the execution starts but never reaches its first activity.
    const first = await call(app, 'POST', path, { token: admin.token });
    assert.equal(first.status, 202, JSON.stringify(first.body));
    const started = await stack().temporal.workflow.getHandle(workflowId).describe();
    assert.equal(started.status.name, 'RUNNING');
    await stack().temporal.workflow.getHandle(workflowId).terminate('test: an operator terminates it');

    const again = await call(app, 'POST', path, { token: admin.token });
    assert.equal(again.status, 202);
    assert.equal(again.body.id, first.body.id, 'the requested run is joined, not duplicated');
    const restarted = await stack().temporal.workflow.getHandle(workflowId).describe();
    assert.equal(restarted.status.name, 'RUNNING', 'a new execution runs for the joined run');
    assert.notEqual(restarted.runId, started.runId);

    const worker = await stack().createWorker(taskQueue);
    await worker.runUntil(stack().temporal.workflow.getHandle(workflowId).result());
    const runs = await runsOf(workflowId);
    assert.equal(runs.length, 1);
    assert.equal(runs[0]?.workflow_run_id, restarted.runId);
    assert.ok(['succeeded', 'incomplete'].includes(runs[0]?.status ?? ''), runs[0]?.status);
  });

  it('a running run whose execution was terminated: a request starts a new execution, which adopts the run it answered with', async () => {
    const taskQueue = `abandoned-running-${randomUUID()}`;
    const app = stack().createApp({ TEMPORAL_TASK_QUEUE: taskQueue });
    const { org, admin, workflowId, path } = await organizationWithOnePerson('Terminated Midway Care');
    // The row an execution leaves when it is terminated after recording its run.
    const dead = await insertRun(org.id, workflowId, { runId: randomUUID(), age: '5 minutes' });

    const joined = await call(app, 'POST', path, { token: admin.token });
    assert.equal(joined.status, 202);
    assert.equal(joined.body.id, dead, 'a run started within the join window is joined');
    const worker = await stack().createWorker(taskQueue);
    await worker.runUntil(stack().temporal.workflow.getHandle(workflowId).result());

    const runs = await runsOf(workflowId);
    assert.deepEqual(
      runs.map((run) => run.id),
      [dead],
    );
    assert.ok(['succeeded', 'incomplete'].includes(runs[0]?.status ?? ''), runs[0]?.status);
    const shown = await call(app, 'GET', `${path}/${dead}`, { token: admin.token });
    assert.notEqual(shown.body.finishedAt, null, 'the run the client holds finishes');
  });

  it('joining a run whose execution completed starts nothing more: a finished rescreen is not run again', async () => {
    const taskQueue = `abandoned-completed-${randomUUID()}`;
    const app = stack().createApp({ TEMPORAL_TASK_QUEUE: taskQueue });
    const { org, admin, workflowId, path } = await organizationWithOnePerson('Completed Care');
    const first = await call(app, 'POST', path, { token: admin.token });
    const worker = await stack().createWorker(taskQueue);
    await worker.runUntil(stack().temporal.workflow.getHandle(workflowId).result());
    const completed = await stack().temporal.workflow.getHandle(workflowId).describe();
    assert.equal(completed.status.name, 'COMPLETED');
    // A run row that still reads unfinished although its execution completed.
    const unfinished = await insertRun(org.id, workflowId, { runId: randomUUID(), age: '1 minute' });

    const joined = await call(app, 'POST', path, { token: admin.token });
    assert.equal(joined.status, 202);
    assert.equal(joined.body.id, unfinished);
    assert.notEqual(joined.body.id, first.body.id);
    const latest = await stack().temporal.workflow.getHandle(workflowId).describe();
    assert.equal(latest.runId, completed.runId, 'no execution was started after the completed one');
    assert.equal(
      await queryOne<{ n: number }>(
        stack().sequelize,
        'SELECT count(*)::int AS n FROM workflow_outbox WHERE entity_key = $entityKey',
        { entityKey: organizationScreeningEntityKey(org.id) },
      ).then((row) => row?.n),
      0,
      'the joining start was delivered as already started',
    );
  });

  it('a dead execution’s run past the join window: the next request is a new rescreen, whose execution closes the dead run as failed', async () => {
    const taskQueue = `abandoned-old-${randomUUID()}`;
    const app = stack().createApp({ TEMPORAL_TASK_QUEUE: taskQueue });
    const { org, admin, workflowId, path } = await organizationWithOnePerson('Long Dead Care');
    const dead = await insertRun(org.id, workflowId, { runId: randomUUID(), age: '7 hours' });

    const next = await call(app, 'POST', path, { token: admin.token });
    assert.equal(next.status, 202);
    assert.notEqual(next.body.id, dead);
    const worker = await stack().createWorker(taskQueue);
    await worker.runUntil(stack().temporal.workflow.getHandle(workflowId).result());

    const [closed, fresh, ...rest] = await runsOf(workflowId);
    assert.equal(rest.length, 0);
    assert.equal(closed?.id, dead);
    assert.equal(closed?.status, 'failed');
    assert.match(closed?.error ?? '', /ended before it finished the run/);
    assert.ok(closed?.finished_at);
    assert.equal(fresh?.id, next.body.id);
    assert.ok(['succeeded', 'incomplete'].includes(fresh?.status ?? ''), fresh?.status);
  });

  it('a requested run no execution adopted within the join window is closed as failed; the next request is a new rescreen', async () => {
    const taskQueue = `abandoned-window-${randomUUID()}`;
    const app = stack().createApp({ TEMPORAL_TASK_QUEUE: taskQueue });
    const { org, admin, workflowId, path } = await organizationWithOnePerson('Never Adopted Care');
    const stale = await insertRun(org.id, workflowId, { runId: null, age: '7 hours' });

    const next = await call(app, 'POST', path, { token: admin.token });
    assert.equal(next.status, 202);
    assert.notEqual(next.body.id, stale);
    const worker = await stack().createWorker(taskQueue);
    await worker.runUntil(stack().temporal.workflow.getHandle(workflowId).result());

    const runs = await runsOf(workflowId);
    assert.deepEqual(
      runs.map((run) => run.id),
      [stale, next.body.id],
    );
    assert.equal(runs[0]?.status, 'failed');
    assert.match(runs[0]?.error ?? '', /No workflow execution recorded this requested run/);
    assert.equal(runs[0]?.workflow_run_id, null);
    assert.ok(['succeeded', 'incomplete'].includes(runs[1]?.status ?? ''), runs[1]?.status);
  });

  it('a requested run past the join window whose start still waits in the outbox (Temporal down for hours) is joined, not closed', async () => {
    const app = stack().createApp({ TEMPORAL_TASK_QUEUE: `abandoned-pending-${randomUUID()}` });
    const { org, admin, workflowId, path } = await organizationWithOnePerson('Long Outage Care');
    const waiting = await insertRun(org.id, workflowId, { runId: null, age: '7 hours' });
    const entityKey = organizationScreeningEntityKey(org.id);
    const intentId = await insertWorkflowIntent(stack().sequelize, entityKey, {
      kind: 'start',
      workflowType: SCREENING_WORKFLOW_TYPE,
      workflowId,
      taskQueue: 'abandoned-pending',
      args: [{ kind: 'organization', organizationId: org.id }],
      conflict: 'wait',
    });
    try {
      // Not due for an hour: still waiting when the request comes.
      await execute(
        stack().sequelize,
        `UPDATE workflow_outbox SET next_attempt_at = now() + interval '1 hour' WHERE id = $id::bigint`,
        { id: intentId },
      );
      const joined = await call(app, 'POST', path, { token: admin.token });
      assert.equal(joined.status, 202);
      assert.equal(joined.body.id, waiting);
      const runs = await runsOf(workflowId);
      assert.deepEqual(
        runs.map((run) => [run.id, run.finished_at]),
        [[waiting, null]],
      );
      const intents = await query<{ id: string }>(
        stack().sequelize,
        'SELECT id::text AS id FROM workflow_outbox WHERE entity_key = $entityKey',
        { entityKey },
      );
      assert.deepEqual(
        intents.map((row) => row.id),
        [intentId],
        'no second start is recorded behind the waiting one',
      );
    } finally {
      await execute(stack().sequelize, 'DELETE FROM workflow_outbox WHERE entity_key = $entityKey', {
        entityKey,
      });
    }
  });

  it('a waiting start whose answer was lost: sent again, it finds its own execution, running or ended (started), not one to wait for', async () => {
    const organizationId = randomUUID();
    const workflowId = `exclusion-screening/organization/${organizationId}`;
    const intent: WorkflowIntent = {
      kind: 'start',
      workflowType: SCREENING_WORKFLOW_TYPE,
      workflowId,
      // No worker polls this queue: the execution stays running.
      taskQueue: `abandoned-nobody-${randomUUID()}`,
      args: [{ kind: 'organization', organizationId }],
      conflict: 'wait',
    };
    try {
      assert.equal(await sendWorkflowIntent(stack().temporal, intent, '9001'), 'delivered');
      assert.equal(await sendWorkflowIntent(stack().temporal, intent, '9001'), 'already-started');
      assert.equal(await sendWorkflowIntent(stack().temporal, intent, '9002'), 'busy');
      // Its execution ended before the answer got through: still its own, not started again.
      await stack().temporal.workflow.getHandle(workflowId).terminate('test: it ends');
      assert.equal(await sendWorkflowIntent(stack().temporal, intent, '9001'), 'already-started');
      assert.equal(await sendWorkflowIntent(stack().temporal, intent, '9003'), 'delivered');
    } finally {
      await stack().temporal.workflow.getHandle(workflowId).terminate('test cleanup');
    }
  });
});
