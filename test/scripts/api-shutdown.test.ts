import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startProcess, waitFor } from '../../scripts/stack/processes';
import { createMember, createOrganization } from '../support/fixtures';
import { openEventStream } from '../support/sse';
import { stack } from '../support/stack';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('api/server.ts shutdown with live event streams open', function () {
  this.timeout(120_000);

  it('ends the streams and exits 0 on SIGTERM instead of waiting for them', async () => {
    const { config } = stack();
    const [port, metricsPort] = await Promise.all([freePort(), freePort()]);
    const api = startProcess('api', process.execPath, ['--import', 'tsx', path.join(root, 'api/server.ts')], {
      cwd: root,
      env: {
        ...process.env,
        LOG_LEVEL: 'warn',
        DATABASE_URL: config.DATABASE_URL,
        TEMPORAL_ADDRESS: config.TEMPORAL_ADDRESS,
        AWS_ENDPOINT_URL: config.AWS_ENDPOINT_URL,
        ROUTE53_HOSTED_ZONE_ID: config.ROUTE53_HOSTED_ZONE_ID,
        PORT: String(port),
        METRICS_PORT: String(metricsPort),
      },
    });
    const url = `http://127.0.0.1:${port}`;
    try {
      await waitFor('API /ready', async () => (await fetch(`${url}/ready`)).ok, {
        process: api,
        timeoutMs: 90_000,
      });
      const organization = await createOrganization();
      const { token } = await createMember(organization.id, 'admin');
      const stream = await openEventStream(`${url}/v1/organizations/${organization.id}/events`, {
        authorization: `Bearer ${token}`,
      });
      await stream.until(() => stream.comments.includes('connected'));
      const exited = new Promise<number | null>((resolve) => api.child.once('exit', (code) => resolve(code)));
      const signalled = Date.now();
      api.child.kill('SIGTERM');
      const code = await exited;
      assert.equal(code, 0);
      assert.ok(Date.now() - signalled < 5000, `exited after ${Date.now() - signalled} ms`);
      await stream.until(() => stream.ended, 5000, 'the stream to end');
    } finally {
      await api.stop();
    }
  });
});
