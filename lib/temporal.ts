import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection } from '@temporalio/worker';
import type { Config } from './config';
import { AesGcmPayloadCodec } from './payload-codec';

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
  const connection = Connection.lazy({ ...connectionOptions(config), connectTimeout: 5_000 });
  return new Client({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    dataConverter: createDataConverter(config),
  });
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
