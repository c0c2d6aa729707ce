import type { z } from '@hono/zod-openapi';
import type { Payload } from '@temporalio/common';
import { createMiddleware } from 'hono/factory';
import { createOidcVerifier, isOwnAccessToken, OidcTokenError } from '../../../lib/codec-oidc';
import { isLoopbackHost } from '../../../lib/config';
import { AesGcmPayloadCodec } from '../../../lib/payload-codec';
import { type AppDeps, type AppEnv, createRouter } from '../../env';
import { authenticate, requirePlatformAdmin, unauthorized } from '../../middleware/authenticate';
import { ProblemError } from '../../problem';
import { codecRouteDefinitions, type PayloadsSchema } from './routes';

type JsonPayload = z.infer<typeof PayloadsSchema>['payloads'][number];

const fromJson = ({ metadata, data }: JsonPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(data, 'base64'),
});

const toJson = ({ metadata, data }: Payload): JsonPayload => ({
  metadata: Object.fromEntries(
    Object.entries(metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
  ),
  data: Buffer.from(data ?? new Uint8Array()).toString('base64'),
});

export function codecRoutes({ config }: AppDeps) {
  const codec = new AesGcmPayloadCodec(config.TEMPORAL_PAYLOAD_KEY);
  const auth = authenticate(config.AUTH_JWT_SECRET);
  // The dev server's Web UI has no login to pass a token from, so in local mode with the API reachable
  // from this machine only, the codec answers without one; everywhere else it needs a platform
  // admin's token (anything that reaches the port could otherwise decrypt every payload).
  const tokenless = config.APP_ENV === 'local' && isLoopbackHost(config.HOST);
  // The Web UI's own login (OIDC): its access token, when it "passes the access token" to the codec.
  const oidc =
    config.CODEC_OIDC_ISSUER && config.CODEC_OIDC_AUDIENCE
      ? createOidcVerifier({ issuer: config.CODEC_OIDC_ISSUER, audience: config.CODEC_OIDC_AUDIENCE })
      : undefined;
  const operatorOnly = createMiddleware<AppEnv>(async (c, next) => {
    if (tokenless && !c.req.header('authorization')) return next();
    const bearer = c.req.header('authorization')?.match(/^Bearer\s+(\S+)$/i)?.[1];
    if (oidc && bearer && !isOwnAccessToken(bearer)) {
      try {
        await oidc.verify(bearer);
      } catch (error) {
        if (!(error instanceof OidcTokenError)) throw error;
        c.var.logger?.info({ reason: error.message }, 'codec: OIDC access token refused');
        throw unauthorized(
          'The OIDC access token is not valid for the codec (issuer, audience or signature).',
        );
      }
      return next();
    }
    await auth(c, async () => {
      await requirePlatformAdmin(c, next);
    });
  });
  const routes = codecRouteDefinitions(operatorOnly);

  return createRouter()
    .openapi(routes.encode, async (c) => {
      const { payloads } = c.req.valid('json');
      return c.json({ payloads: (await codec.encode(payloads.map(fromJson))).map(toJson) }, 200);
    })
    .openapi(routes.decode, async (c) => {
      const { payloads } = c.req.valid('json');
      try {
        return c.json({ payloads: (await codec.decode(payloads.map(fromJson))).map(toJson) }, 200);
      } catch (error) {
        throw new ProblemError(
          400,
          `These payloads cannot be decrypted with the configured keys (${(error as Error).message}).`,
        );
      }
    });
}
