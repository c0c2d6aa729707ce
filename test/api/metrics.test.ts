import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { createApp } from '../../api/app';
import { metricsApp } from '../../api/middleware/metrics';
import { createUser } from '../support/fixtures';
import { call } from '../support/http';
import { stack, testLogger } from '../support/stack';

const METRICS_TOKEN = 'metrics-token-for-tests';

describe('GET /metrics (Prometheus)', () => {
  it('counts requests by route template and status, never by raw path', async () => {
    const app = stack().createApp({ METRICS_TOKEN });
    await call(app, 'GET', '/health');
    await call(app, 'GET', '/health');
    await call(app, 'POST', '/v1/auth/login', { json: {} });
    const metrics = await call(app, 'GET', '/metrics', { token: METRICS_TOKEN });
    assert.equal(metrics.status, 200);
    assert.match(metrics.headers.get('content-type') ?? '', /text\/plain/);
    assert.match(metrics.body, /ale_http_requests_total\{method="GET",route="\/health",status="200"\} 2/);
    assert.match(
      metrics.body,
      /ale_http_requests_total\{method="POST",route="\/v1\/auth\/login",status="422"\} 1/,
    );
    assert.match(
      metrics.body,
      /ale_http_request_duration_seconds_bucket\{le="0.005",method="GET",route="\/health"/,
    );
  });
});

describe('/metrics is not public on the API port', () => {
  it('is not served on the API port without METRICS_TOKEN', async () => {
    const response = await call(stack().createApp(), 'GET', '/metrics');
    assert.equal(response.status, 404);
    assert.doesNotMatch(String(response.body), /ale_http_requests_total/);
  });

  it('needs METRICS_TOKEN as a bearer token when it is set', async () => {
    const app = stack().createApp({ METRICS_TOKEN });
    assert.equal((await call(app, 'GET', '/metrics')).status, 401);
    assert.equal((await call(app, 'GET', '/metrics', { token: `${METRICS_TOKEN}x` })).status, 401);
    const { token } = await createUser({ platformAdmin: true });
    assert.equal((await call(app, 'GET', '/metrics', { token })).status, 401);
  });

  it('is served on the separate listener of METRICS_PORT', async () => {
    const registry = new Registry();
    const { config, sequelize, temporal } = stack();
    const app = createApp({ config, sequelize, temporal, logger: testLogger, metricsRegistry: registry });
    await call(app, 'GET', '/health');
    const response = await metricsApp(registry).request('/metrics');
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /text\/plain/);
    assert.match(
      await response.text(),
      /ale_http_requests_total\{method="GET",route="\/health",status="200"\} 1/,
    );
  });
});
