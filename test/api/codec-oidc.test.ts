import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { defaultPayloadConverter } from '@temporalio/common';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { AesGcmPayloadCodec } from '../../lib/payload-codec';
import { createUser } from '../support/fixtures';
import { call } from '../support/http';
import { stack } from '../support/stack';

const AUDIENCE = 'temporal-ui';

describe('POST /codec/decode with the Temporal Web UI’s OIDC access token (docs/spec.md §12)', () => {
  let server: http.Server;
  let issuer: string;
  let signingKey: CryptoKey;
  let foreignKey: CryptoKey;

  before(async () => {
    const pair = await generateKeyPair('RS256', { extractable: true });
    signingKey = pair.privateKey;
    foreignKey = (await generateKeyPair('RS256')).privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'ui-key', alg: 'RS256', use: 'sig' };
    // A loopback identity provider: its discovery document and its JWKS.
    server = http.createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.url === '/.well-known/openid-configuration') {
        res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks` }));
      } else if (req.url === '/jwks') res.end(JSON.stringify({ keys: [jwk] }));
      else res.writeHead(404).end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const token = (
    overrides: { issuer?: string; audience?: string; key?: CryptoKey; expiresIn?: string } = {},
  ) =>
    new SignJWT({ email: 'operator@example.test' })
      .setProtectedHeader({ alg: 'RS256', kid: 'ui-key' })
      .setSubject('operator')
      .setIssuer(overrides.issuer ?? issuer)
      .setAudience(overrides.audience ?? AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(overrides.expiresIn ?? '5m')
      .sign(overrides.key ?? signingKey);

  async function decode(bearer: string | undefined) {
    const codec = new AesGcmPayloadCodec(stack().config.TEMPORAL_PAYLOAD_KEY);
    const [payload] = await codec.encode([defaultPayloadConverter.toPayload({ employeeId: 'e-1' })]);
    const app = stack().createApp({
      APP_ENV: 'dev',
      CODEC_OIDC_ISSUER: issuer,
      CODEC_OIDC_AUDIENCE: AUDIENCE,
    });
    return call(app, 'POST', '/codec/decode', {
      token: bearer,
      json: {
        payloads: [
          {
            metadata: Object.fromEntries(
              Object.entries(payload?.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
            ),
            data: Buffer.from(payload?.data ?? []).toString('base64'),
          },
        ],
      },
    });
  }

  it('decodes for a token of the issuer, signed with its key, for the audience', async () => {
    const response = await decode(await token());
    assert.equal(response.status, 200);
    const data = Buffer.from(response.body.payloads[0].data, 'base64').toString();
    assert.deepEqual(JSON.parse(data), { employeeId: 'e-1' });
  });

  it('answers 401 for a token of another issuer, another audience, another signing key, or expired', async () => {
    for (const [what, bad] of [
      ['issuer', await token({ issuer: 'https://evil.example.test' })],
      ['audience', await token({ audience: 'someone-else' })],
      ['signing key', await token({ key: foreignKey })],
      ['expiry', await token({ expiresIn: '-1m' })],
    ] as const) {
      const response = await decode(bad);
      assert.equal(response.status, 401, what);
      assert.equal(response.headers.get('content-type'), 'application/problem+json', what);
    }
  });

  it('still takes a platform admin’s access token, and refuses other users’', async () => {
    assert.equal((await decode((await createUser({ platformAdmin: true })).token)).status, 200);
    assert.equal((await decode((await createUser()).token)).status, 403);
    assert.equal((await decode(undefined)).status, 401);
  });

  it('answers 401, not 500, while the issuer cannot be reached', async () => {
    const app = stack().createApp({
      APP_ENV: 'dev',
      CODEC_OIDC_ISSUER: 'http://127.0.0.1:9',
      CODEC_OIDC_AUDIENCE: AUDIENCE,
    });
    const response = await call(app, 'POST', '/codec/decode', {
      token: await token(),
      json: { payloads: [] },
    });
    assert.equal(response.status, 401);
  });
});
