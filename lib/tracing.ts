/**
 * Tracing (docs/spec.md §12): with OTEL_EXPORTER_OTLP_TRACES_ENDPOINT set, one trace follows an
 * HTTP request into its workflow, its activities and their Postgres, S3 and HTTP calls. Loaded
 * before the application (`--import ./lib/tracing-preload.ts` in the api and worker scripts), so the
 * instrumentations patch `pg`, `http` and the AWS SDK as they are imported. Without the variable
 * nothing of OpenTelemetry is loaded: no cost when off.
 *
 * Spans leave through a BatchSpanProcessor (a bounded queue exported in the background with a short
 * timeout): a collector that is down or slow drops spans, it never slows a request. No PHI in
 * attributes: query strings are cut from URLs (a `q` search names people, a `ticket` is a secret),
 * SQL is recorded as its text with `$n` placeholders and never its values.
 */
import { register } from 'node:module';
import { SpanKind } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { AwsInstrumentation } from '@opentelemetry/instrumentation-aws-sdk';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import type { ActivityInterceptorsFactory, InjectedSinks } from '@temporalio/worker';

export interface Tracing {
  resource: Resource;
  spanProcessor: SpanProcessor;
  /** Puts the caller's trace context into the headers of the workflows it starts or signals. */
  clientInterceptor: WorkflowClientInterceptor;
  /** Continues the workflow's trace in each activity (the Postgres, S3 and HTTP spans nest in it). */
  activityInterceptor: ActivityInterceptorsFactory;
  /** The sink through which the workflow sandbox's spans leave (workers/workflow-bundle.ts). */
  // biome-ignore lint/suspicious/noExplicitAny: the SDK types injected sinks this way
  workflowSinks: InjectedSinks<any>;
  shutdown(): Promise<void>;
}

const withoutQuery = (url: unknown) => (typeof url === 'string' ? url.replace(/\?.*$/, '') : url);

/** URL attributes of the HTTP semantic conventions (old and new names) that can hold a query string. */
const URL_ATTRIBUTES = ['http.url', 'http.target', 'url.full', 'url.query', 'http.route'];

export function startTracing(serviceName: string, endpoint: string): Tracing {
  // import-in-the-middle: ESM imports (`import pg from 'pg'`) are patched too, not only require().
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
  const resource = new Resource({ 'service.name': serviceName });
  const spanProcessor = new BatchSpanProcessor(
    new OTLPTraceExporter({ url: endpoint, timeoutMillis: 2000 }),
    { maxQueueSize: 2048, scheduledDelayMillis: Number(process.env.OTEL_BSP_SCHEDULE_DELAY ?? 1000) },
  );
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register();
  const exporterUrl = new URL(endpoint);
  registerInstrumentations({
    instrumentations: [
      new HttpInstrumentation({
        // The exporter's own requests would trace themselves.
        ignoreOutgoingRequestHook: (request) =>
          request.hostname === exporterUrl.hostname && String(request.port) === exporterUrl.port,
        applyCustomAttributesOnSpan: (span) => {
          const attributes = (span as unknown as { attributes?: Record<string, unknown> }).attributes ?? {};
          for (const name of URL_ATTRIBUTES) {
            if (name === 'url.query' && name in attributes) span.setAttribute(name, '[removed]');
            else if (typeof attributes[name] === 'string')
              span.setAttribute(name, withoutQuery(attributes[name]) as string);
          }
        },
        startIncomingSpanHook: () => ({ 'ale.span.kind': SpanKind[SpanKind.SERVER] }),
      }),
      new PgInstrumentation({ enhancedDatabaseReporting: false }),
      new AwsInstrumentation({ suppressInternalInstrumentation: true }),
    ],
  });
  return {
    resource,
    spanProcessor,
    clientInterceptor: new OpenTelemetryWorkflowClientInterceptor(),
    activityInterceptor: (ctx) => ({
      inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
      outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
    }),
    workflowSinks: { exporter: makeWorkflowExporter(spanProcessor, resource) },
    shutdown: () => provider.shutdown(),
  };
}
