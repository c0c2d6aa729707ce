import { Hono } from 'hono';
import { createMiddleware } from 'hono/factory';
import { Counter, Histogram, type Registry } from 'prom-client';
import { sameSecret } from '../../lib/same-secret';
import type { AppEnv } from '../env';
import { problemResponse } from '../problem';

/** Request count and latency by route template (never the raw path: ids would explode cardinality). */
export function httpMetrics(registry: Registry) {
  const requests = new Counter({
    name: 'ale_http_requests_total',
    help: 'HTTP requests by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'ale_http_request_duration_seconds',
    help: 'HTTP request latency by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const middleware = createMiddleware<AppEnv>(async (c, next) => {
    const started = performance.now();
    await next();
    const labels = { method: c.req.method, route: c.req.routePath, status: String(c.res.status) };
    requests.inc(labels);
    duration.observe(labels, (performance.now() - started) / 1000);
  });
  return middleware;
}

/**
 * GET /metrics in Prometheus's text format. With `token`, only for `Authorization: Bearer <token>`
 * (the API port is public; route counts and process details are not for everyone).
 */
export function metricsEndpoint(registry: Registry, token?: string) {
  return createMiddleware(async (c) => {
    if (token && !sameSecret(c.req.header('authorization'), `Bearer ${token}`)) {
      return problemResponse(c, 401, 'Send METRICS_TOKEN as "Authorization: Bearer <token>".', {
        headers: { 'WWW-Authenticate': 'Bearer' },
      });
    }
    return c.body(await registry.metrics(), 200, { 'Content-Type': registry.contentType });
  });
}

/** The separate listener's app (METRICS_PORT): /metrics and nothing else. */
export function metricsApp(registry: Registry) {
  const app = new Hono();
  app.get('/metrics', metricsEndpoint(registry));
  return app;
}
