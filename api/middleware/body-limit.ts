import { bodyLimit } from 'hono/body-limit';
import { problemResponse } from '../problem';

export const JSON_BODY_LIMIT_BYTES = 1024 * 1024;

/** Caps a request body; over the cap answers 413 problem+json before the handler reads it all. */
export function limitBody(maxBytes: number, what = 'request body') {
  return bodyLimit({
    maxSize: maxBytes,
    onError: (c) => problemResponse(c, 413, `The ${what} is larger than ${maxBytes} bytes.`),
  });
}
