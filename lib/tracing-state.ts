import type { Tracing } from './tracing';

/**
 * The process's tracing when lib/tracing-preload.ts started it (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
 * set), else undefined. Read through a global so that code paths with tracing off never load
 * OpenTelemetry (the import above is a type).
 */
export function activeTracing(): Tracing | undefined {
  return (globalThis as { __aleTracing?: Tracing }).__aleTracing;
}
