import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findRosterImport } from '../../db/roster-import-store';
import { freePort, type ManagedProcess, startProcess, waitFor } from '../../scripts/stack/processes';
import { createMember, createOrganization } from '../support/fixtures';
import { stack } from '../support/stack';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface OtlpSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
}

/** An in-process OTLP/HTTP (JSON) receiver; `hang` makes it accept requests and never answer. */
async function otlpReceiver() {
  const spans: OtlpSpan[] = [];
  const state = { hang: false };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      if (state.hang) return;
      const payload = JSON.parse(body || '{}');
      for (const resourceSpans of payload.resourceSpans ?? []) {
        const service = resourceSpans.resource?.attributes?.find(
          (a: { key: string }) => a.key === 'service.name',
        )?.value?.stringValue;
        for (const scope of resourceSpans.scopeSpans ?? []) {
          for (const span of scope.spans ?? []) {
            const attributes: Record<string, unknown> = {};
            for (const { key, value } of span.attributes ?? [])
              attributes[key] = Object.values(value ?? {})[0];
            spans.push({
              service,
              traceId: span.traceId,
              spanId: span.spanId,
              parentSpanId: span.parentSpanId || undefined,
              name: span.name,
              kind: span.kind,
              attributes,
            });
          }
        }
      }
      res.setHeader('content-type', 'application/json');
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`;
  return {
    spans,
    state,
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('tracing (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, docs/spec.md §12)', function () {
  this.timeout(180_000);
  let receiver: Awaited<ReturnType<typeof otlpReceiver>>;
  let api: ManagedProcess;
  let worker: ManagedProcess;
  let apiUrl: string;
  let logDir: string;

  before(async () => {
    receiver = await otlpReceiver();
    logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ale-tracing-'));
    const { config } = stack();
    const [port, metricsPort, workerMetricsPort] = await Promise.all([freePort(), freePort(), freePort()]);
    const env = {
      ...process.env,
      APP_ENV: 'local',
      LOG_LEVEL: 'warn',
      DATABASE_URL: config.DATABASE_URL,
      TEMPORAL_ADDRESS: config.TEMPORAL_ADDRESS,
      TEMPORAL_TASK_QUEUE: `tracing-${randomUUID()}`,
      AWS_ENDPOINT_URL: config.AWS_ENDPOINT_URL,
      ROUTE53_HOSTED_ZONE_ID: config.ROUTE53_HOSTED_ZONE_ID,
      PORT: String(port),
      METRICS_PORT: String(metricsPort),
      WORKER_METRICS_ADDRESS: `127.0.0.1:${workerMetricsPort}`,
      WORKER_ENSURE_SCHEDULES: 'false',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.url,
      OTEL_BSP_SCHEDULE_DELAY: '200',
    };
    // As `npm run api` / `npm run worker` start them: tsx, then the tracing preload.
    const node = (name: string, script: string) =>
      startProcess(
        name,
        process.execPath,
        ['--import', 'tsx', '--import', path.join(root, 'lib/tracing-preload.ts'), path.join(root, script)],
        { env, cwd: root, logFile: path.join(logDir, `${name}.log`) },
      );
    worker = node('worker', 'workers/main.ts');
    api = node('api', 'api/server.ts');
    apiUrl = `http://127.0.0.1:${port}`;
    await waitFor('API /ready', async () => (await fetch(`${apiUrl}/ready`)).ok, {
      process: api,
      timeoutMs: 90_000,
    });
  });

  after(async () => {
    await api?.stop();
    await worker?.stop();
    await receiver?.close();
    fs.rmSync(logDir, { recursive: true, force: true });
  });

  it('follows one trace from the HTTP request into the workflow, its activity and the activity’s Postgres query, with no PHI', async () => {
    const organization = await createOrganization();
    const { token } = await createMember(organization.id, 'admin');
    const csv = 'Employee ID,First Name,Last Name,DOB\nE1,Augusta,Lovelace,1815-12-10\n';
    const response = await fetch(
      `${apiUrl}/v1/organizations/${organization.id}/imports?kind=employees&mode=merge`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
        body: csv,
      },
    );
    assert.equal(response.status, 202, await response.clone().text());
    const { id: importId } = (await response.json()) as { id: string };
    await waitFor(
      'the import to succeed',
      async () => (await findRosterImport(stack().sequelize, importId))?.status === 'succeeded',
      { timeoutMs: 60_000 },
    );

    const request = () =>
      receiver.spans.find(
        (s) =>
          s.service === 'ale-api' &&
          s.kind === 2 &&
          String(s.attributes['http.target'] ?? s.attributes['url.path'] ?? '').endsWith(
            `/v1/organizations/${organization.id}/imports`,
          ),
      );
    const activityQuery = () => {
      const traceId = request()?.traceId;
      if (!traceId) return undefined;
      const inTrace = receiver.spans.filter((s) => s.traceId === traceId);
      const byId = new Map(inTrace.map((s) => [s.spanId, s]));
      return inTrace.find((s) => {
        if (s.service !== 'ale-worker' || s.attributes['db.system'] !== 'postgresql') return false;
        for (
          let parent = byId.get(s.parentSpanId ?? '');
          parent;
          parent = byId.get(parent.parentSpanId ?? '')
        ) {
          if (parent.name.startsWith('RunActivity:')) return true;
        }
        return false;
      });
    };
    await waitFor('the spans to reach the receiver', async () => activityQuery() !== undefined, {
      timeoutMs: 30_000,
    }).catch((error) => {
      const names = receiver.spans.map((s) => `${s.service} ${s.name} ${s.traceId.slice(0, 8)}`);
      throw new Error(`${(error as Error).message}; spans: ${names.slice(0, 80).join(' | ')}`);
    });
    const query = activityQuery();
    assert.equal(query?.traceId, request()?.traceId);
    const trace = receiver.spans.filter((s) => s.traceId === request()?.traceId);
    assert.ok(
      trace.some((s) => s.name.startsWith('StartWorkflow:rosterImport')),
      'the workflow start is in the trace',
    );

    const everything = JSON.stringify(receiver.spans.map((s) => s.attributes));
    for (const phi of ['Augusta', 'Lovelace', '1815-12-10', 'kind=employees', token]) {
      assert.ok(!everything.includes(phi), `${phi} is in a span attribute`);
    }
  });

  it('does not slow requests while the OTLP endpoint hangs', async () => {
    receiver.state.hang = true;
    const organization = await createOrganization();
    const { token } = await createMember(organization.id, 'admin');
    const durations: number[] = [];
    for (let i = 0; i < 30; i++) {
      const started = performance.now();
      const response = await fetch(`${apiUrl}/v1/organizations/${organization.id}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(response.status, 200);
      await response.arrayBuffer();
      durations.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    durations.sort((a, b) => a - b);
    const p95 = durations[Math.floor(durations.length * 0.95)] as number;
    // The exporter times out after 2 s per batch in the background; a request never waits for it.
    assert.ok(p95 < 500, `p95 ${p95.toFixed(0)} ms`);
  });
});

describe('tracing off (no OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)', () => {
  it('loads no OpenTelemetry SDK, instrumentation, exporter or Temporal interceptor: no cost', () => {
    const script = `
      import { createRequire } from 'node:module';
      await import(${JSON.stringify(path.join(root, 'api/app.ts'))});
      await import(${JSON.stringify(path.join(root, 'workers/create-worker.ts'))});
      const loaded = Object.keys(createRequire(import.meta.url).cache);
      console.log(JSON.stringify({
        tracing: globalThis.__aleTracing !== undefined,
        // prom-client loads @opentelemetry/api (a no-op without an SDK) whatever this project does.
        otel: loaded.filter((id) => /@opentelemetry\\/(?!api\\/)|interceptors-opentelemetry/.test(id)),
      }));`;
    const env = { ...process.env };
    delete env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
    const output = execFileSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '--import',
        path.join(root, 'lib/tracing-preload.ts'),
        '--input-type=module',
        '-e',
        script,
      ],
      { cwd: root, env, encoding: 'utf8' },
    );
    assert.deepEqual(JSON.parse(output.trim().split('\n').at(-1) as string), { tracing: false, otel: [] });
  });
});
