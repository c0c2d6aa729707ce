import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Worker } from '@temporalio/worker';
import { ensureBootstrapAdmin } from '../../db/bootstrap-admin';
import { execute, query } from '../../db/sql';
import { type Config, DEV_SECRETS } from '../../lib/config';
import { oigManualSyncWorkflowId } from '../../lib/workflow-contracts';
import { type SampleOigSite, seedSampleData, startSampleOigSite } from '../../scripts/stack/sample-data';
import { stack } from '../support/stack';

const clear = async () => {
  await stack()
    .temporal.workflow.getHandle(oigManualSyncWorkflowId())
    .terminate('test cleanup')
    .catch(() => {});
  await execute(
    stack().sequelize,
    `TRUNCATE oig_employees_exclusion; DELETE FROM oig_exclusions_check;
     DELETE FROM exclusion_source_records WHERE source IN ('sam', 'pa_medicheck', 'ca_medi_cal')`,
  );
};

describe('sample mode serves every list of docs/spec.md §8 from its local site', function () {
  this.timeout(240_000);
  const taskQueue = `sample-lists-${Date.now()}`;
  let site: SampleOigSite;
  let server: ReturnType<typeof serve>;
  let apiUrl: string;
  let worker: Worker;

  before(async () => {
    await clear();
    site = await startSampleOigSite();
    // As `npm run dev -- --sample-data` configures its API and worker (scripts/dev.ts).
    const sample: Partial<Config> = {
      OIG_WEBPAGE_URL: site.pageUrl,
      OIG_CSV_DOWNLOAD_URL: site.csvUrl,
      SAMPLE_DATA: true,
      EXCLUSION_SOURCES: ['leie', 'sam', 'pa_medicheck', 'ca_medi_cal'],
      SAM_EXTRACT_URL: site.listUrls.sam,
      SAM_API_KEY: 'sample-data',
      PA_MEDICHECK_URL: site.listUrls.pa_medicheck,
      CA_MEDI_CAL_URL: site.listUrls.ca_medi_cal,
    };
    const app = stack().createApp({ ...sample, TEMPORAL_TASK_QUEUE: taskQueue });
    server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((resolve) => server.once('listening', resolve));
    apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await ensureBootstrapAdmin(stack().sequelize, 'admin@ale.test', DEV_SECRETS.BOOTSTRAP_ADMIN_PASSWORD);
    worker = await stack().createWorker(taskQueue, sample);
  });

  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await site.stop();
    await clear();
  });

  it('syncs each list and the demo roster matches each, with its source; the clear people stay clear', async () => {
    const logLines: string[] = [];
    const seed = await worker.runUntil(
      seedSampleData({
        apiUrl,
        email: 'admin@ale.test',
        password: DEV_SECRETS.BOOTSTRAP_ADMIN_PASSWORD,
        log: (line) => logLines.push(line),
      }),
    );
    for (const name of ['SAM.gov', 'Pennsylvania', 'California']) {
      assert.ok(
        logLines.some((line) => line.includes(name) && line.includes('sample loaded')),
        name,
      );
    }
    const matches = await query<{ external_id: string; source: string; reason: string }>(
      stack().sequelize,
      `SELECT e.external_id, m.source, m.reason FROM exclusion_matches m JOIN employees e ON e.id = m.employee_id
        WHERE m.organization_id = $organizationId AND m.status = 'open' ORDER BY e.external_id, m.source`,
      { organizationId: seed.organizationId },
    );
    const found = matches.map((m) => `${m.external_id} ${m.source} ${m.reason}`);
    for (const expected of ['S-001 sam npi', 'S-002 pa_medicheck name_dob', 'S-003 ca_medi_cal name']) {
      assert.ok(
        found.some((line) => line.startsWith(expected.split(' ').slice(0, 2).join(' '))),
        `${expected}: ${found}`,
      );
    }
    const sources = new Set(matches.map((m) => m.source));
    assert.deepEqual([...sources].sort(), ['ca_medi_cal', 'leie', 'pa_medicheck', 'sam']);
    const matched = new Set(matches.map((m) => m.external_id));
    for (const clear of ['S-005', 'S-006', 'S-007', 'S-008', 'S-009', 'S-010', 'S-011']) {
      assert.ok(!matched.has(clear), `${clear} stays clear`);
    }
  });
});
