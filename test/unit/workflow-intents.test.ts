import assert from 'node:assert/strict';
import { planDeliveries, unitedWorkflowId, type WorkflowIntent } from '../../lib/workflow-intents';

/** The outbox's coalescing rule (docs/architecture.md, "The outbox"): which claimed intents share a start. */

const KEY = 'exclusion-screening/employees/org-a';

const screening = (
  employeeIds: string[],
  overrides: Partial<Record<string, unknown>> = {},
): WorkflowIntent => ({
  kind: 'start',
  workflowType: 'exclusionScreening',
  workflowId: `exclusion-screening/employees/${employeeIds[0]}-1`,
  taskQueue: 'q',
  args: [{ kind: 'employees', organizationId: 'org-a', employeeIds }],
  batch: { key: KEY, field: 'employeeIds', max: 3 },
  ...overrides,
});

const rows = (...intents: WorkflowIntent[]) => intents.map((intent, i) => ({ id: String(i + 1), intent }));

describe('outbox deliveries (lib/workflow-intents.ts)', () => {
  it('unites starts of one key into one start with the union of their ids, under an id of exactly those rows', () => {
    const claimed = rows(screening(['p1']), screening(['p2']), screening(['p1']));
    const [united, ...others] = planDeliveries(claimed);
    assert.deepEqual(others, []);
    assert.deepEqual(
      united?.rows.map((row) => row.id),
      ['1', '2', '3'],
    );
    assert.deepEqual(united?.intent, {
      kind: 'start',
      workflowType: 'exclusionScreening',
      workflowId: unitedWorkflowId(KEY, ['1', '2', '3']),
      taskQueue: 'q',
      args: [{ kind: 'employees', organizationId: 'org-a', employeeIds: ['p1', 'p2'] }],
      conflict: 'fail',
      reuse: 'reject-duplicate',
    });
    assert.match(
      united?.intent.kind === 'start' ? united.intent.workflowId : '',
      /^exclusion-screening\/employees\/org-a\/outbox-1-3-[0-9a-f]{16}$/,
    );
  });

  it('the united id depends on the set of rows only: same set in any order alike, another set differs', () => {
    assert.equal(unitedWorkflowId(KEY, ['10', '2', '33']), unitedWorkflowId(KEY, ['33', '10', '2']));
    assert.notEqual(unitedWorkflowId(KEY, ['10', '2', '33']), unitedWorkflowId(KEY, ['10', '2', '34']));
    assert.notEqual(unitedWorkflowId(KEY, ['10', '2']), unitedWorkflowId(`${KEY}x`, ['10', '2']));
  });

  it('a start holds at most `max` ids: the rest go into the next start of the key', () => {
    const claimed = rows(...['p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7'].map((id) => screening([id])));
    const plan = planDeliveries(claimed);
    assert.deepEqual(
      plan.map((delivery) => delivery.rows.map((row) => row.id)),
      [['1', '2', '3'], ['4', '5', '6'], ['7']],
    );
    // The last one is alone: it keeps its own intent and workflow id.
    assert.deepEqual(plan[2]?.intent, claimed[6]?.intent);
  });

  it('intents without a key, of another key, queue or argument, or that wait for a running id, are not united with them', () => {
    const plain: WorkflowIntent = {
      kind: 'signal',
      workflowId: 'invitation/x',
      signal: 'resend',
      signalArgs: [],
    };
    const unkeyed = screening(['p3'], { batch: undefined });
    const otherOrg = screening(['p4'], {
      args: [{ kind: 'employees', organizationId: 'org-b', employeeIds: ['p4'] }],
    });
    const otherQueue = screening(['p5'], { taskQueue: 'other' });
    const waiting = screening(['p6'], { conflict: 'wait' });
    const claimed = rows(plain, screening(['p1']), unkeyed, otherOrg, screening(['p2']), otherQueue, waiting);
    const plan = planDeliveries(claimed);
    assert.deepEqual(
      plan.map((delivery) => delivery.rows.map((row) => row.id)),
      [['2', '5'], ['1'], ['3'], ['4'], ['6'], ['7']],
      'the united start first, then every other alone, oldest first',
    );
    for (const delivery of plan.slice(1)) assert.equal(delivery.intent, delivery.rows[0]?.intent);
  });
});
