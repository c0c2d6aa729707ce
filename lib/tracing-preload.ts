/**
 * `node --import tsx --import ./lib/tracing-preload.ts …`: starts tracing before the application's
 * modules load, when OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set (lib/tracing.ts); otherwise it
 * imports nothing. The process name comes from OTEL_SERVICE_NAME or the entry file.
 */
const endpoint = process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
if (endpoint) {
  const { startTracing } = await import('./tracing');
  const entry = process.argv[1]?.replace(/.*\//, '').replace(/\.ts$/, '') ?? 'node';
  const name =
    process.env.OTEL_SERVICE_NAME ??
    `ale-${entry === 'server' ? 'api' : entry === 'main' ? 'worker' : entry}`;
  (globalThis as { __aleTracing?: unknown }).__aleTracing = startTracing(name, endpoint);
}

export {};
