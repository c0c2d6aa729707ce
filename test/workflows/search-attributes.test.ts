import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { EXCLUSION_SOURCE_SYNC_WORKFLOW_TYPE } from '../../lib/exclusion-source-contract';
import { ensureSearchAttributes } from '../../lib/temporal';
import {
  invitationWorkflowId,
  ORGANIZATION_LIFECYCLE_WORKFLOW_TYPE,
  rosterImportWorkflowId,
  SCREENING_WORKFLOW_TYPE,
  screeningWorkflowId,
} from '../../lib/workflow-contracts';
import { createMember, createOrganization } from '../support/fixtures';
import { call } from '../support/http';
import { stack } from '../support/stack';
import { employeeCsv, runImport } from './roster-import-support';

/** The workflow ids a visibility query lists, once the (eventually consistent) listing holds `expected`. */
async function listedIds(query: string, expected: string[], timeoutMs = 15_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ids: string[] = [];
    for await (const execution of stack().temporal.workflow.list({ query })) ids.push(execution.workflowId);
    if (expected.every((id) => ids.includes(id)) || Date.now() > deadline) return ids.sort();
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('search attributes for the Web UI (docs/spec.md §12)', () => {
  it('registers OrganizationId, RosterKind, ScreeningTrigger and ExclusionSource idempotently', async () => {
    const { temporal, config } = stack();
    // The test stack registered them at start: a second call adds nothing and does not fail.
    assert.deepEqual(await ensureSearchAttributes(temporal, config.TEMPORAL_NAMESPACE), []);
    const { customAttributes } = await temporal.connection.operatorService.listSearchAttributes({
      namespace: config.TEMPORAL_NAMESPACE,
    });
    for (const name of ['OrganizationId', 'RosterKind', 'ScreeningTrigger', 'ExclusionSource']) {
      assert.equal(customAttributes?.[name], 2 /* INDEXED_VALUE_TYPE_KEYWORD */, name);
    }
  });

  it("lists a roster import and its screening by OrganizationId = '…' and RosterKind", async () => {
    const organization = await createOrganization();
    const other = await createOrganization();
    const { importId, summary, error } = await runImport(organization.id, employeeCsv(3), {
      kind: 'caregivers',
    });
    assert.equal(error, undefined);
    assert.equal(summary?.status, 'succeeded');
    const importWorkflow = rosterImportWorkflowId(importId);
    const screening = screeningWorkflowId('import', importId);

    const byOrganization = await listedIds(`OrganizationId = '${organization.id}'`, [
      importWorkflow,
      screening,
    ]);
    assert.deepEqual(byOrganization, [importWorkflow, screening].sort());
    assert.deepEqual(
      await listedIds(`OrganizationId = '${organization.id}' AND RosterKind = 'caregivers'`, [
        importWorkflow,
      ]),
      [importWorkflow],
    );
    assert.deepEqual(
      await listedIds(`OrganizationId = '${organization.id}' AND ScreeningTrigger = 'import'`, [screening]),
      [screening],
    );
    assert.deepEqual(await listedIds(`OrganizationId = '${other.id}'`, [], 0), []);
  });

  it('sets them at start on workflows whose input names them (organization, screening, OIG sync)', async () => {
    const { temporal } = stack();
    const organizationId = randomUUID();
    const taskQueue = `no-worker-${randomUUID()}`;
    const started = [
      await temporal.workflow.start(ORGANIZATION_LIFECYCLE_WORKFLOW_TYPE, {
        taskQueue,
        workflowId: `organization/${organizationId}`,
        args: [{ organizationId, liveSubdomain: null, staleSubdomains: [] }],
      }),
      await temporal.workflow.start(SCREENING_WORKFLOW_TYPE, {
        taskQueue,
        workflowId: screeningWorkflowId('organization', organizationId),
        args: [{ kind: 'organization', organizationId }],
      }),
    ];
    const sync = await temporal.workflow.start(EXCLUSION_SOURCE_SYNC_WORKFLOW_TYPE, {
      taskQueue,
      workflowId: `oig-sync/test-${randomUUID()}`,
      args: [{ sourceId: 'leie', trigger: 'manual' }],
    });
    try {
      const ids = started.map((handle) => handle.workflowId).sort();
      assert.deepEqual(await listedIds(`OrganizationId = '${organizationId}'`, ids), ids);
      assert.deepEqual(
        await listedIds(`OrganizationId = '${organizationId}' AND ScreeningTrigger = 'manual'`, [
          started[1]?.workflowId as string,
        ]),
        [started[1]?.workflowId],
      );
      const leie = await listedIds(`ExclusionSource = 'leie'`, [sync.workflowId]);
      assert.ok(leie.includes(sync.workflowId));
    } finally {
      for (const handle of [...started, sync]) await handle.terminate('test done').catch(() => {});
    }
  });

  it('an invitation upserts its OrganizationId once it has read its invitation', async () => {
    const organization = await createOrganization();
    const admin = await createMember(organization.id, 'admin');
    const taskQueue = `invitation-sa-${randomUUID()}`;
    const app = stack().createApp({ TEMPORAL_TASK_QUEUE: taskQueue });
    const invited = await call(app, 'POST', `/v1/organizations/${organization.id}/invitations`, {
      token: admin.token,
      json: { email: `invitee-${randomUUID()}@example.test`, role: 'member' },
    });
    assert.equal(invited.status, 202, JSON.stringify(invited.body));
    const workflowId = invitationWorkflowId(invited.body.id);
    const worker = await stack().createWorker(taskQueue);
    const listed = await worker.runUntil(
      listedIds(`OrganizationId = '${organization.id}' AND WorkflowType = 'invitation'`, [workflowId]),
    );
    await stack().temporal.workflow.getHandle(workflowId).terminate('test done');
    assert.deepEqual(listed, [workflowId]);
  });
});
