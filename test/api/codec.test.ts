import assert from 'node:assert/strict';
import { defaultPayloadConverter } from '@temporalio/common';
import { AesGcmPayloadCodec } from '../../lib/payload-codec';
import { createUser } from '../support/fixtures';
import { call } from '../support/http';
import { stack } from '../support/stack';

const toJson = (payload: { metadata?: Record<string, Uint8Array> | null; data?: Uint8Array | null }) => ({
  metadata: Object.fromEntries(
    Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
  ),
  data: Buffer.from(payload.data ?? []).toString('base64'),
});

describe('POST /codec/decode and /codec/encode (Temporal Web UI remote codec)', () => {
  async function encrypted(value: unknown) {
    const codec = new AesGcmPayloadCodec(stack().config.TEMPORAL_PAYLOAD_KEY);
    const [payload] = await codec.encode([defaultPayloadConverter.toPayload(value)]);
    return toJson(payload as never);
  }

  it('decodes for a platform admin and answers CORS for the UI origin', async () => {
    const { token } = await createUser({ platformAdmin: true });
    const origin = stack().config.CORS_ORIGINS[0] as string;
    const response = await call(stack().createApp({ APP_ENV: 'dev' }), 'POST', '/codec/decode', {
      token,
      json: { payloads: [await encrypted({ employeeId: 'e-1' })] },
      headers: { origin, 'x-namespace': 'default' },
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('access-control-allow-origin'), origin);
    const [decoded] = response.body.payloads;
    assert.equal(Buffer.from(decoded.metadata.encoding, 'base64').toString(), 'json/plain');
    assert.deepEqual(JSON.parse(Buffer.from(decoded.data, 'base64').toString()), { employeeId: 'e-1' });
  });

  it('round-trips encode then decode', async () => {
    const { token } = await createUser({ platformAdmin: true });
    const app = stack().createApp({ APP_ENV: 'dev' });
    const plain = toJson(defaultPayloadConverter.toPayload('hello') as never);
    const enc = await call(app, 'POST', '/codec/encode', { token, json: { payloads: [plain] } });
    assert.equal(enc.status, 200);
    assert.notDeepEqual(enc.body.payloads[0], plain);
    const dec = await call(app, 'POST', '/codec/decode', { token, json: { payloads: enc.body.payloads } });
    assert.deepEqual(dec.body.payloads[0], plain);
  });

  it('refuses anyone but a platform admin outside APP_ENV=local', async () => {
    const app = stack().createApp({ APP_ENV: 'dev' });
    const body = { payloads: [await encrypted('x')] };
    assert.equal((await call(app, 'POST', '/codec/decode', { json: body })).status, 401);
    const { token } = await createUser();
    assert.equal((await call(app, 'POST', '/codec/decode', { token, json: body })).status, 403);
  });

  it('answers without a token in local mode only while the API listens on loopback', async () => {
    const body = { payloads: [await encrypted('x')] };
    const loopback = stack().createApp({ APP_ENV: 'local', HOST: '127.0.0.1' });
    assert.equal((await call(loopback, 'POST', '/codec/decode', { json: body })).status, 200);
    for (const HOST of ['0.0.0.0', '::', '10.0.0.5']) {
      const reachable = stack().createApp({ APP_ENV: 'local', HOST });
      assert.equal((await call(reachable, 'POST', '/codec/decode', { json: body })).status, 401, HOST);
      const { token } = await createUser();
      assert.equal((await call(reachable, 'POST', '/codec/decode', { token, json: body })).status, 403);
    }
  });

  it('answers 400 for payloads encrypted with a key it does not have', async () => {
    const { token } = await createUser({ platformAdmin: true });
    const foreign = new AesGcmPayloadCodec(`other:${Buffer.alloc(32, 1).toString('base64')}`);
    const [payload] = await foreign.encode([defaultPayloadConverter.toPayload('x')]);
    const response = await call(stack().createApp({ APP_ENV: 'dev' }), 'POST', '/codec/decode', {
      token,
      json: { payloads: [toJson(payload as never)] },
    });
    assert.equal(response.status, 400);
    assert.match(response.body.detail, /cannot be decrypted/);
  });
});
