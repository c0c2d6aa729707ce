import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection, type WorkflowClientInterceptor } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import proto from '@temporalio/proto';
import { NativeConnection } from '@temporalio/worker';
import type { Config } from './config';
import { AesGcmPayloadCodec } from './payload-codec';
import { SEARCH_ATTRIBUTE_KEYS, searchAttributesOfStart } from './search-attributes';
import { activeTracing } from './tracing-state';

export const failureConverterPath = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  'failure-converter.ts',
);

/** Every payload (inputs, results, heartbeats, failure messages) is AES-GCM encrypted (docs/spec.md §7). */
export function createDataConverter(config: Pick<Config, 'TEMPORAL_PAYLOAD_KEY'>): DataConverter {
  return { payloadCodecs: [new AesGcmPayloadCodec(config.TEMPORAL_PAYLOAD_KEY)], failureConverterPath };
}

type TemporalConfig = Pick<
  Config,
  | 'TEMPORAL_ADDRESS'
  | 'TEMPORAL_NAMESPACE'
  | 'TEMPORAL_TLS_CERT'
  | 'TEMPORAL_TLS_KEY'
  | 'TEMPORAL_API_KEY'
  | 'TEMPORAL_PAYLOAD_KEY'
>;

/** A PEM given inline or as a file path. */
function pem(value: string): Buffer {
  return Buffer.from(value.startsWith('-----BEGIN') ? value : fs.readFileSync(value, 'utf8'));
}

function connectionOptions(config: TemporalConfig) {
  const { TEMPORAL_TLS_CERT: crt, TEMPORAL_TLS_KEY: key, TEMPORAL_API_KEY: apiKey } = config;
  const tls = crt && key ? { clientCertPair: { crt: pem(crt), key: pem(key) } } : apiKey ? true : undefined;
  return { address: config.TEMPORAL_ADDRESS, tls, apiKey };
}

/** Connects lazily, so the API starts (and /ready answers 503) while Temporal is still down. */
export function createTemporalClient(config: TemporalConfig): Client {
  const connection = Connection.lazy({
    ...connectionOptions(config),
    connectTimeout: 5_000,
    // While Temporal is away the channel tries to reconnect at most half a second apart (gRPC's
    // default backoff grows to two minutes), so the outbox relay sees its return at once
    // (docs/spec.md §12).
    channelArgs: { 'grpc.initial_reconnect_backoff_ms': 100, 'grpc.max_reconnect_backoff_ms': 500 },
  });
  const tracing = activeTracing();
  return new Client({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    dataConverter: createDataConverter(config),
    interceptors: {
      workflow: [searchAttributesAtStart, ...(tracing ? [tracing.clientInterceptor] : [])],
    },
  });
}

/**
 * Every workflow this client starts carries the search attributes its input names (docs/spec.md
 * §12), wherever it is started from: services, the webhook, the SQS consumer, the tests.
 */
const searchAttributesAtStart: WorkflowClientInterceptor = {
  start(input, next) {
    return next({ ...input, options: withSearchAttributes(input.workflowType, input.options) });
  },
  signalWithStart(input, next) {
    return next({ ...input, options: withSearchAttributes(input.workflowType, input.options) });
  },
};

function withSearchAttributes<O extends { args?: unknown; typedSearchAttributes?: unknown }>(
  workflowType: string,
  options: O,
): O {
  if (options.typedSearchAttributes) return options;
  const pairs = searchAttributesOfStart(workflowType, (options.args as unknown[] | undefined) ?? []);
  return pairs.length ? { ...options, typedSearchAttributes: pairs } : options;
}

const GRPC_ALREADY_EXISTS = 6;

/**
 * Registers the Keyword search attributes of lib/workflow-contracts.ts on the namespace if missing
 * (idempotent, through the operator service). Returns the names it added.
 */
export async function ensureSearchAttributes(client: Client, namespace: string): Promise<string[]> {
  const { operatorService } = client.connection;
  const existing = await operatorService.listSearchAttributes({ namespace });
  const known = new Set([
    ...Object.keys(existing.customAttributes ?? {}),
    ...Object.keys(existing.systemAttributes ?? {}),
  ]);
  const missing = SEARCH_ATTRIBUTE_KEYS.filter((key) => !known.has(key.name));
  if (missing.length === 0) return [];
  try {
    await operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(
        missing.map((key) => [
          key.name,
          proto.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
        ]),
      ),
    });
  } catch (error) {
    // Another process registering them at the same moment is success too.
    if ((error as { code?: number }).code !== GRPC_ALREADY_EXISTS) throw error;
  }
  return missing.map((key) => key.name);
}

export function connectWorkerConnection(config: TemporalConfig): Promise<NativeConnection> {
  return NativeConnection.connect(connectionOptions(config));
}

export function temporalUiLink(
  config: Pick<Config, 'TEMPORAL_UI_URL' | 'TEMPORAL_NAMESPACE'>,
  workflowId: string,
) {
  const base = config.TEMPORAL_UI_URL.replace(/\/$/, '');
  return `${base}/namespaces/${encodeURIComponent(config.TEMPORAL_NAMESPACE)}/workflows/${encodeURIComponent(workflowId)}`;
}
