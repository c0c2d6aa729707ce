import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { serve } from '@hono/node-server';
import type { Worker } from '@temporalio/worker';
import { ensureBootstrapAdmin } from '../../db/bootstrap-admin';
import { execute } from '../../db/sql';
import { MATCH_REASONS } from '../../domain/match-reasons';
import { DEV_SECRETS } from '../../lib/config';
import { oigManualSyncWorkflowId } from '../../lib/workflow-contracts';
import {
  SAMPLE_ORGANIZATION,
  type SampleOigSite,
  type SampleSeed,
  sampleBannerLines,
  seedSampleData,
  startSampleOigSite,
} from '../../scripts/stack/sample-data';
import { stack } from '../support/stack';

const run = promisify(execFile);
const README = new URL('../../README.md', import.meta.url);

/** The README's quickstart commands: the shell block after the one that starts the stack, one entry per command. */
function quickstartCommands(): string[] {
  const markdown = fs.readFileSync(README, 'utf8');
  const section = markdown.split(/^## /m).find((part) => part.startsWith('Quickstart'));
  assert.ok(section, 'README.md has a "## Quickstart" section');
  const blocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1] as string);
  assert.match(blocks[0] ?? '', /npm run dev -- --sample-data/, 'the first block starts the sample mode');
  return (blocks[1] ?? '')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((line) => line.trim() !== '');
}

const clearList = async () => {
  await stack()
    .temporal.workflow.getHandle(oigManualSyncWorkflowId())
    .terminate('test cleanup')
    .catch(() => {});
  await execute(stack().sequelize, 'TRUNCATE oig_employees_exclusion; DELETE FROM oig_exclusions_check');
};

describe('sample mode and the README quickstart', function () {
  this.timeout(240_000);
  const taskQueue = `sample-mode-${Date.now()}`;
  let site: SampleOigSite;
  let server: ReturnType<typeof serve>;
  let apiUrl: string;
  let worker: Worker;
  const logLines: string[] = [];

  before(async () => {
    await clearList();
    site = await startSampleOigSite();
    // Configured as `npm run dev -- --sample-data` configures its API and worker.
    const sample = { OIG_WEBPAGE_URL: site.pageUrl, OIG_CSV_DOWNLOAD_URL: site.csvUrl, SAMPLE_DATA: true };
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
    await clearList();
  });

  it('loads the sample list and the demo organization, and the quickstart shows an open match with its reason and list record', async () => {
    const commands = quickstartCommands();
    assert.ok(commands.length >= 8 && commands.length <= 14, `about ten commands, not ${commands.length}`);
    const outputs = await worker.runUntil(
      (async () => {
        const seed: SampleSeed = await seedSampleData({
          apiUrl,
          email: 'admin@ale.test',
          password: DEV_SECRETS.BOOTSTRAP_ADMIN_PASSWORD,
          log: (line) => logLines.push(line),
        });
        assert.equal(seed.openMatches, 4, 'S-001 … S-004 match; the near misses do not');
        // Each command as written, one after the other in one shell (they share variables).
        const marker = '@@quickstart-command@@';
        const script = [
          'set -euo pipefail',
          ...commands.flatMap((command) => [command, `echo ${marker}`]),
        ].join('\n');
        const { stdout } = await run('bash', ['-c', script], { env: { ...process.env, API: apiUrl } });
        return stdout.split(`${marker}\n`).slice(0, commands.length);
      })(),
    );
    assert.equal(outputs.length, commands.length, 'every command ran');

    const status = JSON.parse(outputs[3] as string);
    assert.equal(status.state, 'fresh');
    assert.equal(status.sample, true);
    assert.match(status.warning, /^SAMPLE DATA/);
    assert.match(logLines.join('\n'), /SAMPLE DATA: organization "Sample Home Care \(SAMPLE DATA\)"/);

    const people = new Map(
      (outputs[5] as string)
        .trim()
        .split('\n')
        .map((line) => line.split('\t') as [string, string, string])
        .map(([id, , exclusionStatus]) => [id, exclusionStatus]),
    );
    for (const id of ['S-001', 'S-002', 'S-003', 'S-004']) assert.equal(people.get(id), 'possible_match', id);
    for (const id of ['S-005', 'S-006', 'S-007', 'S-008']) assert.equal(people.get(id), 'clear', id);
    assert.equal(people.size, 11, 'three bad rows were rejected');
    assert.equal(
      (outputs[7] as string).trim().split('\n').length,
      3,
      'the import reports the three bad rows',
    );

    const screening = JSON.parse(outputs[10] as string);
    assert.equal(screening.status, 'succeeded');
    assert.equal(screening.peopleScreened, 11);
    // Every list the sample mode serves was in force (docs/spec.md §8), the LEIE among them.
    assert.ok(
      screening.listVersions.some((version: { source: string }) => version.source === 'leie'),
      JSON.stringify(screening.listVersions),
    );

    const match = JSON.parse(outputs.at(-1) as string);
    assert.equal(match.status, 'open');
    assert.ok((MATCH_REASONS as readonly string[]).includes(match.reason), match.reason);
    assert.match(match.employee, /^S-00[1-4]$/);
    assert.ok(typeof match.source === 'string' && match.record, 'the list record the person matched');

    const organizations = await stack().sequelize.query(
      'SELECT name FROM organizations WHERE subdomain = $1',
      {
        bind: [SAMPLE_ORGANIZATION.subdomain],
      },
    );
    assert.deepEqual(
      (organizations[0] as { name: string }[]).map((row) => row.name),
      [SAMPLE_ORGANIZATION.name],
    );
  });

  it('the dev banner says how to get sample data, or what was loaded', () => {
    assert.match(sampleBannerLines(null), /npm run dev -- --sample-data/);
    const loaded = sampleBannerLines({ organizationId: 'org-id', openMatches: 4 });
    assert.match(loaded, /SAMPLE DATA/);
    assert.match(loaded, /Sample Home Care \(SAMPLE DATA\)" org-id: 4 open matches/);
  });
});
