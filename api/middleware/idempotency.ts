import { createHash } from 'node:crypto';
import { z } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import {
  claimIdempotencyKey,
  purgeIdempotencyKeys,
  releaseIdempotencyKey,
  saveIdempotentResponse,
} from '../../db/idempotency-store';
import type { AppEnv } from '../env';
import { problemResponse } from '../problem';

/**
 * `Idempotency-Key` on creating POSTs (docs/spec.md §12): the same key and body within 24 h answer
 * with the first response (and `Idempotent-Replayed: true`); the same key with another body is 422;
 * the same key while its first request is still being handled is 409. Keys are per user and kept in
 * Postgres (db/idempotency-store.ts), so every replica honours them. Only a successful (2xx) first
 * response is kept: after a failure the key is free for a retry. A file body (a roster upload) is
 * streamed, not buffered, so it is not covered: upload to the presigned URL and POST the key as JSON.
 */

const KEY = /^[\x21-\x7e]{1,255}$/;

/** The header as the OpenAPI document states it (request.headers of each creating POST). */
export const IdempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .regex(KEY, 'Idempotency-Key must be 1–255 visible ASCII characters')
    .optional()
    .openapi({
      description:
        'A key of your choosing (1–255 visible ASCII characters, e.g. a UUID). Repeating the request with the same key and body within 24 h answers with the first response instead of creating again; the same key with another body answers 422; while the first request is still being handled, 409.',
      example: '5d0c6a4e-4a7b-4e8a-9c51-0c7e3f7a2b19',
    }),
});

const fingerprint = (c: Context, body: string) =>
  createHash('sha256')
    .update(
      `${c.req.method} ${c.req.path}?${new URL(c.req.url).search}\n${c.req.header('content-type') ?? ''}\n`,
    )
    .update(body)
    .digest('hex');

export function idempotentCreate(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const key = c.req.header('idempotency-key');
    const contentType = c.req.header('content-type') ?? '';
    // An invalid key is the validator's 422; a file body is not buffered to be compared.
    if (key === undefined || !KEY.test(key) || (contentType !== '' && !/json/i.test(contentType))) {
      return next();
    }
    const db = c.var.db;
    const userId = c.var.user.id;
    const held = await claimIdempotencyKey(db, {
      userId,
      key,
      fingerprint: fingerprint(c, await c.req.text()),
    });
    if (Math.random() < 0.01) await purgeIdempotencyKeys(db);
    if (held) {
      if (held.fingerprint !== fingerprint(c, await c.req.text())) {
        return problemResponse(c, 422, 'This Idempotency-Key was used with another request; use a new key.', {
          errors: [{ path: 'header.Idempotency-Key', message: 'already used with a different request body' }],
        });
      }
      if (held.response_status === null) {
        return problemResponse(
          c,
          409,
          'A request with this Idempotency-Key is still being handled; retry shortly.',
        );
      }
      const headers: Record<string, string> = { 'Idempotent-Replayed': 'true' };
      if (held.response_location) headers.Location = held.response_location;
      return c.json(held.response_body as object, held.response_status as ContentfulStatusCode, headers);
    }
    let succeeded = false;
    try {
      await next();
      const response = c.res;
      if (response.status >= 200 && response.status < 300) {
        await saveIdempotentResponse(db, {
          userId,
          key,
          status: response.status,
          body: await response.clone().json(),
          location: response.headers.get('location'),
        });
        succeeded = true;
      }
    } finally {
      if (!succeeded) await releaseIdempotencyKey(db, userId, key);
    }
  };
}
