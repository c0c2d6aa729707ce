import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context, Env, MiddlewareHandler } from 'hono';
import { ProblemError, problemResponse } from './problem';

const isJson = (mediaType: string) => /^application\/([\w.-]+\+)?json$/i.test(mediaType);

/** A file name that reads right in an example of sending `mediaType`. */
function exampleFile(mediaType: string): string {
  if (mediaType === 'text/csv') return 'roster.csv';
  if (mediaType.includes('spreadsheetml')) return 'roster.xlsx';
  if (mediaType.startsWith('image/')) return 'logo.png';
  return 'file';
}

/** A curl call that sends the body as `mediaType` to the request's own URL. */
export function exampleCall(c: Context, mediaType: string): string {
  const auth = c.req.header('authorization') ? " -H 'Authorization: Bearer $TOKEN'" : '';
  const method = c.req.method === 'POST' ? '' : ` -X ${c.req.method}`;
  const url = `'${c.req.url}'`;
  if (isJson(mediaType)) {
    return `curl${method}${auth} -H 'Content-Type: application/json' --data @body.json ${url}`;
  }
  const type = mediaType === 'image/*' ? 'image/png' : mediaType;
  return `curl${method}${auth} -H 'Content-Type: ${type}' --data-binary @${exampleFile(type)} ${url}`;
}

/**
 * The 415 for a body the route does not take: what came (no Content-Type, a multipart form as
 * `curl -F` sends, another type), the types it accepts and an example call. A route that takes a
 * file is shown sending the file; JSON otherwise.
 */
export function unsupportedMediaType(c: Context, accepted: string[]): ProblemError {
  const given = c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase();
  const what = !given
    ? 'The request has no Content-Type'
    : given === 'multipart/form-data'
      ? 'A multipart form (as `curl -F` sends) is not accepted: send the file itself as the body'
      : `Content-Type ${given} is not accepted here`;
  const example = exampleCall(c, accepted.find((type) => !isJson(type)) ?? accepted[0] ?? 'application/json');
  const header = c.req.method === 'PATCH' ? 'Accept-Patch' : 'Accept-Post';
  return new ProblemError(
    415,
    `${what}. This route accepts ${accepted.join(', ')}; for example: ${example}`,
    {
      headers: { [header]: accepted.join(', ') },
      members: { acceptedContentTypes: accepted, example },
    },
  );
}

/**
 * Explains the bare 415 that request validation throws, with the media types the OpenAPI document
 * declares for the operation (read once, on the first 415).
 */
export function explainUnsupportedMediaType<E extends Env>(app: OpenAPIHono<E>) {
  let operations: { method: string; pattern: RegExp; accepted: string[] }[] | undefined;
  const declared = () =>
    app.openAPIRegistry.definitions.flatMap((definition) => {
      if (definition.type !== 'route') return [];
      const content = definition.route.request?.body?.content;
      if (!content) return [];
      const path = definition.route.path.replaceAll('.', '\\.').replace(/\{[^}]+\}/g, '[^/]+');
      return [
        {
          method: definition.route.method.toUpperCase(),
          pattern: new RegExp(`^${path}$`),
          accepted: Object.keys(content),
          // A literal path beats a parameter in the same place (`/imports/upload-url` over `/imports/{id}`).
          parameters: definition.route.path.split('{').length,
        },
      ];
    });
  return (c: Context): ProblemError | undefined => {
    operations ??= declared().sort((a, b) => a.parameters - b.parameters);
    const operation = operations.find((op) => op.method === c.req.method && op.pattern.test(c.req.path));
    return operation ? unsupportedMediaType(c, operation.accepted) : undefined;
  };
}

/**
 * A body sent compressed (`Content-Encoding: gzip`, …) is refused with 415 (RFC 9110 §15.5.16)
 * before anything reads it: no route inflates bodies, and read as it is, a gzipped JSON body would
 * be answered "not valid JSON".
 */
export function refuseEncodedBodies(): MiddlewareHandler {
  return async (c, next) => {
    const encoding = c.req.header('content-encoding')?.trim().toLowerCase();
    if (!encoding || encoding === 'identity') return next();
    return problemResponse(
      c,
      415,
      `Content-Encoding ${encoding} is not accepted: send the body uncompressed (no Content-Encoding).`,
      { headers: { 'Accept-Encoding': 'identity', Connection: 'close' } },
    );
  };
}
