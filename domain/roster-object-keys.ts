import { createHash } from 'node:crypto';
import type { Config } from '../lib/config';
import { isUuid } from '../lib/uuid';
import type { RosterKind } from '../lib/workflow-contracts';

/**
 * Where roster files live in the uploads bucket: API uploads under `<prefix>imports/<orgId>/`, S3
 * drops under `<prefix><kind>-list/<orgId>/` (only drops start imports from S3 events).
 */

type KeyConfig = Pick<Config, 'AWS_S3_KEY_PREFIX'>;

const keyPrefix = (config: KeyConfig) =>
  config.AWS_S3_KEY_PREFIX && !config.AWS_S3_KEY_PREFIX.endsWith('/')
    ? `${config.AWS_S3_KEY_PREFIX}/`
    : config.AWS_S3_KEY_PREFIX;

/** Where API uploads of one organization go (not a drop folder, so S3 events never start them twice). */
export const uploadPrefix = (config: KeyConfig, organizationId: string) =>
  `${keyPrefix(config)}imports/${organizationId}/`;

/** The S3 drop folder of one roster kind: `<prefix><kind>-list/<orgId>/`. */
export const dropPrefix = (config: KeyConfig, kind: RosterKind, organizationId: string) =>
  `${keyPrefix(config)}${kind}-list/${organizationId}/`;

export const formatOfKey = (key: string): 'csv' | 'xlsx' => (/\.xlsx$/i.test(key) ? 'xlsx' : 'csv');

const DROP_KEY = /^(employees|caregivers|patients)-list\/([^/]+)\/.+/i;

/** The roster kind and organization of a key under a drop folder (any letter case); null for other keys. */
export function dropOfKey(
  config: KeyConfig,
  key: string,
): { kind: RosterKind; organizationId: string } | null {
  const prefix = keyPrefix(config);
  const match = key.startsWith(prefix) ? DROP_KEY.exec(key.slice(prefix.length)) : null;
  if (!match || key.endsWith('/') || !isUuid(match[2])) return null;
  return {
    kind: (match[1] as string).toLowerCase() as RosterKind,
    organizationId: (match[2] as string).toLowerCase(),
  };
}

/** A uuid v5 (RFC 9562, SHA-1) in the namespace of S3 events: the same bucket/key/etag, the same id. */
export function s3EventImportId(bucket: string, key: string, etag: string): string {
  const namespace = Buffer.from('6f1b0c8e9a4d4f5e8b7a2c3d4e5f6a7b', 'hex');
  const hash = createHash('sha1')
    .update(namespace)
    .update(`${bucket}\n${key}\n${etag.replaceAll('"', '')}`)
    .digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
