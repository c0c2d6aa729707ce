import { createRoute, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../../env';
import { bearerAuth, jsonBody, jsonResponse, problems } from '../../schemas';

/** The Temporal Web UI's remote codec protocol: payloads with base64 metadata values and data. */
export const PayloadsSchema = z
  .object({
    payloads: z
      .array(
        z.object({ metadata: z.record(z.string(), z.string()).default({}), data: z.string().default('') }),
      )
      .max(1000),
  })
  .openapi('CodecPayloads');

/** The codec routes, guarded by `operatorOnly`: the contract their handlers (handlers.ts) implement. */
export function codecRouteDefinitions(operatorOnly: MiddlewareHandler<AppEnv>) {
  const route = (action: 'encode' | 'decode') =>
    createRoute({
      method: 'post',
      path: `/codec/${action}`,
      tags: ['ops'],
      summary: `${action === 'decode' ? 'Decrypt' : 'Encrypt'} Temporal payloads for the Web UI (remote codec)`,
      security: bearerAuth,
      middleware: [operatorOnly] as const,
      request: { body: jsonBody(PayloadsSchema) },
      responses: {
        200: jsonResponse(PayloadsSchema, 'The payloads, transformed'),
        400: problems[400],
        401: problems[401],
        403: problems[403],
        422: problems[422],
      },
    });
  return { encode: route('encode'), decode: route('decode') };
}
