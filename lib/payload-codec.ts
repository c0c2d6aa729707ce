import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec, ValueError } from '@temporalio/common';
import proto from '@temporalio/proto';

const ENCODING = 'binary/encrypted';
const KEY_ID_KEY = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Parses TEMPORAL_PAYLOAD_KEY: `keyId:base64(32 bytes)` pairs, newest (the one that encrypts) first. */
export function parsePayloadKeys(spec: string): Map<string, Buffer> {
  const keys = new Map<string, Buffer>();
  for (const pair of spec.split(',')) {
    const [id, material] = pair.split(':');
    const key = Buffer.from(material ?? '', 'base64');
    if (!id || key.length !== 32)
      throw new ValueError(`TEMPORAL_PAYLOAD_KEY entry "${id}" is not keyId:base64(32 bytes)`);
    keys.set(id, key);
  }
  return keys;
}

/**
 * AES-256-GCM over each whole serialized payload. The key id travels in clear metadata so keys can
 * rotate: put the new key first and keep old ones after it; old payloads still decrypt.
 */
export class AesGcmPayloadCodec implements PayloadCodec {
  private readonly keys: Map<string, Buffer>;
  private readonly activeKeyId: string;

  constructor(keySpec: string) {
    this.keys = parsePayloadKeys(keySpec);
    this.activeKeyId = [...this.keys.keys()][0] as string;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const key = this.keys.get(this.activeKeyId) as Buffer;
    return payloads.map((payload) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const plain = proto.temporal.api.common.v1.Payload.encode(payload).finish();
      const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: {
          [METADATA_ENCODING_KEY]: encoder.encode(ENCODING),
          [KEY_ID_KEY]: encoder.encode(this.activeKeyId),
        },
        data,
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
      if (!encoding || decoder.decode(encoding) !== ENCODING) return payload;
      const keyIdBytes = payload.metadata?.[KEY_ID_KEY];
      const keyId = keyIdBytes ? decoder.decode(keyIdBytes) : '';
      const key = this.keys.get(keyId);
      if (!key) throw new ValueError(`No key "${keyId}" in TEMPORAL_PAYLOAD_KEY to decrypt this payload`);
      const data = Buffer.from(payload.data ?? new Uint8Array());
      if (data.length < IV_BYTES + TAG_BYTES) throw new ValueError('Encrypted payload is truncated');
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      const plain = Buffer.concat([
        decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)),
        decipher.final(),
      ]);
      return proto.temporal.api.common.v1.Payload.decode(plain);
    });
  }
}
