import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import fc from 'fast-check';
import { AesGcmPayloadCodec } from '../../lib/payload-codec';

const key = (id: string) => `${id}:${randomBytes(32).toString('base64')}`;

describe('AesGcmPayloadCodec', () => {
  it('round-trips any JSON value and never leaves it readable', async () => {
    const codec = new AesGcmPayloadCodec(key('k1'));
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), fc.string({ minLength: 8 }), async (value, marker) => {
        const payload = defaultPayloadConverter.toPayload({ value, marker });
        const [encrypted] = await codec.encode([payload]);
        assert.ok(encrypted);
        assert.ok(!Buffer.from(encrypted.data ?? []).includes(Buffer.from(marker)));
        const [decrypted] = await codec.decode([encrypted]);
        // Compare with what JSON itself preserves (-0 becomes 0 in any JSON payload).
        assert.deepEqual(
          defaultPayloadConverter.fromPayload(decrypted as never),
          JSON.parse(JSON.stringify({ value, marker })),
        );
      }),
      { numRuns: 100 },
    );
  });

  it('decrypts payloads written with an older key after rotation', async () => {
    const old = key('2025');
    const [encrypted] = await new AesGcmPayloadCodec(old).encode([
      defaultPayloadConverter.toPayload('Jane Doe'),
    ]);
    const rotated = new AesGcmPayloadCodec(`${key('2026')},${old}`);
    const [decrypted] = await rotated.decode([encrypted as never]);
    assert.equal(defaultPayloadConverter.fromPayload(decrypted as never), 'Jane Doe');
    const [fresh] = await rotated.encode([defaultPayloadConverter.toPayload('x')]);
    assert.equal(Buffer.from(fresh?.metadata?.['encryption-key-id'] ?? []).toString(), '2026');
  });

  it('refuses a tampered payload and an unknown key id', async () => {
    const codec = new AesGcmPayloadCodec(key('k1'));
    const [encrypted] = await codec.encode([defaultPayloadConverter.toPayload({ mrn: 'MRN-1' })]);
    assert.ok(encrypted?.data);
    const data = Uint8Array.from(encrypted.data);
    data[20] = (data[20] ?? 0) ^ 1;
    const tampered = { ...encrypted, data };
    await assert.rejects(codec.decode([tampered]));
    await assert.rejects(new AesGcmPayloadCodec(key('other')).decode([encrypted]), /No key "k1"/);
  });

  it('passes through payloads that are not encrypted', async () => {
    const plain = defaultPayloadConverter.toPayload(42);
    assert.deepEqual(await new AesGcmPayloadCodec(key('k1')).decode([plain]), [plain]);
  });
});
