import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createApp } from '../../api/app';
import { createSequelize } from '../../db/sequelize';
import { execute } from '../../db/sql';
import { insertWorkflowIntent } from '../../db/workflow-outbox-store';
import { createTemporalClient } from '../../lib/temporal';
import { startEmbeddedPostgres } from '../../scripts/stack/postgres';
import { freePort } from '../../scripts/stack/processes';
import { call } from '../support/http';
import { stack, testLogger } from '../support/stack';

describe('GET /health and /ready', () => {
  it('/health answers without touching dependencies', async () => {
    const response = await call(stack().createApp(), 'GET', '/health');
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, { status: 'ok' });
  });

  it('/ready is 200 when Postgres and Temporal answer', async () => {
    const response = await call(stack().createApp(), 'GET', '/ready');
    assert.equal(response.status, 200);
    assert.deepEqual(response.body.checks, { postgres: { ok: true }, temporal: { ok: true } });
  });

  it('/ready and /metrics show the outbox: how many intents wait and the age of the oldest', async () => {
    const app = stack().createApp({ METRICS_TOKEN: 'metrics-token-for-tests' });
    const entityKey = `test/ready-outbox-${Date.now()}`;
    const id = await insertWorkflowIntent(stack().sequelize, entityKey, {
      kind: 'signal',
      workflowId: entityKey,
      signal: 'resend',
      signalArgs: [],
    });
    try {
      // An intent Temporal has refused for an hour.
      await execute(
        stack().sequelize,
        `UPDATE workflow_outbox SET created_at = now() - interval '1 hour', next_attempt_at = now() + interval '1 hour'
         WHERE id = $id::bigint`,
        { id },
      );
      const ready = await call(app, 'GET', '/ready');
      assert.equal(ready.status, 200);
      assert.ok(ready.body.outbox.pending >= 1, JSON.stringify(ready.body.outbox));
      assert.ok(ready.body.outbox.oldestSeconds >= 3600, JSON.stringify(ready.body.outbox));
      const metrics = await call(app, 'GET', '/metrics', { token: 'metrics-token-for-tests' });
      const gauge = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics.body)?.[1]);
      assert.ok(gauge('ale_workflow_outbox_pending') >= 1, metrics.body);
      assert.ok(gauge('ale_workflow_outbox_oldest_seconds') >= 3600, metrics.body);
    } finally {
      await execute(stack().sequelize, 'DELETE FROM workflow_outbox WHERE id = $id::bigint', { id });
    }
  });

  it('/ready goes 503 naming Postgres while it is stopped, and recovers', async function () {
    this.timeout(60_000);
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ale-ready-'));
    fs.chmodSync(dataDir, 0o755);
    const port = await freePort();
    let postgres = await startEmbeddedPostgres({ dataDir, port, database: 'ready' });
    const sequelize = createSequelize(postgres.url, { poolMax: 1 });
    const app = createApp({
      config: stack().config,
      sequelize,
      temporal: stack().temporal,
      logger: testLogger,
    });
    try {
      assert.equal((await call(app, 'GET', '/ready')).status, 200);
      await postgres.stop();
      const down = await call(app, 'GET', '/ready');
      assert.equal(down.status, 503);
      assert.equal(down.body.checks.postgres.ok, false);
      assert.equal(down.body.checks.temporal.ok, true);
      postgres = await startEmbeddedPostgres({ dataDir, port, database: 'ready' });
      assert.equal((await call(app, 'GET', '/ready')).status, 200);
    } finally {
      await sequelize.close();
      await postgres.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('/ready goes 503 naming Temporal when it cannot be reached', async () => {
    const config = { ...stack().config, TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}` };
    const temporal = createTemporalClient(config);
    const app = createApp({ config, sequelize: stack().sequelize, temporal, logger: testLogger });
    const response = await call(app, 'GET', '/ready');
    assert.equal(response.status, 503);
    assert.equal(response.body.checks.postgres.ok, true);
    assert.equal(response.body.checks.temporal.ok, false);
  });
});
