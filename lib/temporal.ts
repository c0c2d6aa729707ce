import fs from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { Config } from './config';

type TemporalConfig = Pick<
  Config,
  'TEMPORAL_ADDRESS' | 'TEMPORAL_NAMESPACE' | 'TEMPORAL_TLS_CERT' | 'TEMPORAL_TLS_KEY' | 'TEMPORAL_API_KEY'
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
  return new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
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
