import { Hono } from 'hono';
import { createMiddleware } from 'hono/factory';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Db } from '../../db/sql';
import { workflowOutboxBacklog } from '../../db/workflow-outbox-store';
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
 * The outbox's backlog at each scrape (docs/spec.md §12): starts and signals waiting for Temporal.
 * A backlog whose oldest intent keeps ageing while Temporal answers is an intent Temporal refuses
 * (the API log says why: "workflow intent not delivered"); alert on it. NaN when Postgres does not
 * answer (the scrape still succeeds, with no stale figure).
 */
export function outboxMetrics(registry: Registry, db: Db) {
  let backlog: ReturnType<typeof workflowOutboxBacklog> | undefined;
  // One query per scrape for both gauges.
  const read = () => {
    backlog ??= workflowOutboxBacklog(db).finally(() => {
      backlog = undefined;
    });
    return backlog;
  };
  new Gauge({
    name: 'ale_workflow_outbox_pending',
    help: 'Workflow starts and signals recorded by the API and not yet delivered to Temporal',
    registers: [registry],
    async collect() {
      const current = await read().catch(() => undefined);
      this.set(current ? current.pending : Number.NaN);
    },
  });
  new Gauge({
    name: 'ale_workflow_outbox_oldest_seconds',
    help: 'Age of the oldest undelivered workflow start or signal (0 when none waits)',
    registers: [registry],
    async collect() {
      const current = await read().catch(() => undefined);
      this.set(current ? (current.oldestSeconds ?? 0) : Number.NaN);
    },
  });
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
