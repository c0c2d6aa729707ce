import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { ExclusionSourceSyncResult } from '../../lib/exclusion-source-contract';
import { formatLeieFile } from '../../scripts/generate-leie';
import { exclusionSourceSync } from '../../workflows/exclusion-source-sync';
import { call } from './http';
import type { OigSiteStub } from './oig-site-stub';
import { stack } from './stack';

/** One LEIE individual as the published CSV writes it (dates YYYYMMDD, no NPI = 0000000000). */
export function leieIndividual(last: string, first: string, dob: string, npi = '0000000000'): string[] {
  return [
    last,
    first,
    '',
    '',
    'NURSING PROFESSION',
    '',
    '',
    npi,
    dob,
    '1 MAIN ST',
    'AUSTIN',
    'TX',
    '73301',
    '1128a1',
    '20200101',
    '00000000',
    '00000000',
    '',
  ];
}

/**
 * Publishes `rows` on the OIG site stub as of `pageDate` and runs the real sync workflow for `leie`, then the
 * rescreen it starts, to the end: a list load (or reload) as production does it.
 */
export async function loadLeieList(
  site: OigSiteStub,
  rows: string[][],
  pageDate: string,
): Promise<ExclusionSourceSyncResult> {
  site.setPageDate(pageDate);
  site.setCsv({ body: formatLeieFile(rows), etag: `"${randomUUID()}"` });
  const taskQueue = `leie-load-${randomUUID()}`;
  const worker = await stack().createWorker(taskQueue, site.config);
  return worker.runUntil(async () => {
    const result = await stack().temporal.workflow.execute(exclusionSourceSync, {
      taskQueue,
      workflowId: `oig-sync/test-${randomUUID()}`,
      args: [{ sourceId: 'leie', trigger: 'manual', force: true }],
    });
    assert.equal(result.status, 'imported', JSON.stringify(result));
    if (result.rescreenWorkflowId) {
      await stack().temporal.workflow.getHandle(result.rescreenWorkflowId).result();
    }
    return result;
  });
}

/** Empties the LEIE list and its checks, so a file's tests start with no list loaded. */
export async function clearLeieList(): Promise<void> {
  await stack().sequelize.query('TRUNCATE oig_employees_exclusion; DELETE FROM oig_exclusions_check;');
}

/** Starts the organization's rescreen through the API, runs a worker until it finishes; the run's id. */
export async function rescreenOrganization(organizationId: string, token: string): Promise<string> {
  const taskQueue = `rescreen-${randomUUID()}`;
  const app = stack().createApp({ TEMPORAL_TASK_QUEUE: taskQueue });
  const started = await call(app, 'POST', `/v1/organizations/${organizationId}/exclusion-screenings`, {
    token,
  });
  assert.equal(started.status, 202);
  const worker = await stack().createWorker(taskQueue);
  await worker.runUntil(stack().temporal.workflow.getHandle(started.body.workflowId).result());
  return started.body.id as string;
}
