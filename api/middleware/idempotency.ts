import { createHash, type Hash } from 'node:crypto';
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
 * streamed to S3, not buffered: its route fingerprints it by the sha256 taken on the way.
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

/**
 * The request's fingerprint before its body: method, path with query, content type. The caller
 * adds the body (a JSON body as it came; a streamed file, its sha256) and digests it.
 */
export function requestFingerprint(c: Context): Hash {
  return createHash('sha256').update(
    `${c.req.method} ${c.req.path}?${new URL(c.req.url).search}\n${c.req.header('content-type') ?? ''}\n`,
  );
}

/** The request's key, when it sent a valid one (an invalid one is the validator's 422). */
export function idempotencyKeyOf(c: Context): string | undefined {
  const key = c.req.header('idempotency-key');
  return key !== undefined && KEY.test(key) ? key : undefined;
}

/**
 * Answers under `key` for a request of `fingerprint` (hex): the first response again, 422 when the
 * key came with another request, 409 while its first request is still handled — otherwise the
 * answer of `create`, kept when it is 2xx (the key is freed after anything else).
 */
export async function answerIdempotently<E extends AppEnv>(
  c: Context<E>,
  key: string,
  fingerprint: string,
  create: () => Promise<Response>,
): Promise<Response> {
  const db = c.var.db;
  const userId = c.var.user.id;
  const held = await claimIdempotencyKey(db, { userId, key, fingerprint });
  if (Math.random() < 0.01) await purgeIdempotencyKeys(db);
  if (held) {
    if (held.fingerprint !== fingerprint) {
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
    const response = await create();
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
    return response;
  } finally {
    if (!succeeded) await releaseIdempotencyKey(db, userId, key);
  }
}

/** `Idempotency-Key` on a JSON (or empty) body; a streamed file's route calls answerIdempotently itself. */
export function idempotentCreate(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const key = idempotencyKeyOf(c);
    const contentType = c.req.header('content-type') ?? '';
    if (key === undefined || (contentType !== '' && !/json/i.test(contentType))) return next();
    const fingerprint = requestFingerprint(c)
      .update(await c.req.text())
      .digest('hex');
    return answerIdempotently(c, key, fingerprint, async () => {
      await next();
      return c.res;
    });
  };
}
