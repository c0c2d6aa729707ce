import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { createMiddleware } from 'hono/factory';
import { problemResponse } from '../problem';

export const JSON_BODY_LIMIT_BYTES = 1024 * 1024;

/**
 * Caps a request body; over the cap answers 413 problem+json before the handler reads it all, and
 * closes the connection so that the rest is not read either. A GET, HEAD or OPTIONS request reaches
 * the app without its body (no handler reads one), yet Node would drain whatever the client sends
 * after it: a body declared over the cap, or of unknown length, is refused there too.
 */
export function limitBody(maxBytes: number, what = 'request body') {
  const refuse = (c: Context, detail: string) =>
    problemResponse(c, 413, detail, { headers: { Connection: 'close' } });
  const tooLarge = (c: Context) => refuse(c, `The ${what} is larger than ${maxBytes} bytes.`);
  const limit = bodyLimit({ maxSize: maxBytes, onError: tooLarge });
  return createMiddleware(async (c, next) => {
    if (c.req.raw.body) return limit(c, next);
    if (c.req.header('transfer-encoding')) {
      return refuse(c, `A ${c.req.method} request takes no body of unknown length; send none.`);
    }
    if (Number(c.req.header('content-length') ?? 0) > maxBytes) return tooLarge(c);
    return next();
  });
}
