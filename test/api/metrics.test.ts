import assert from 'node:assert/strict';
import { call } from '../support/http';
import { stack } from '../support/stack';

describe('GET /metrics (Prometheus)', () => {
  it('counts requests by route template and status, never by raw path', async () => {
    const app = stack().createApp();
    await call(app, 'GET', '/health');
    await call(app, 'GET', '/health');
    await call(app, 'POST', '/v1/auth/login', { json: {} });
    const metrics = await call(app, 'GET', '/metrics');
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
