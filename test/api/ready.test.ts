import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createApp } from '../../api/app';
import { createSequelize } from '../../db/sequelize';
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
