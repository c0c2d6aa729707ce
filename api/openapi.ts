/**
 * Answers every route gives before its handler runs, added to the generated OpenAPI document so
 * that it states them too: a body that is not JSON (400), too large (413), of another media type
 * (415), and a query or body that fails validation (422, also for a NUL character in any string);
 * and on every `/v1` operation but the webhooks, the shared rate limit's 429 (docs/spec.md §11).
 */

type Responses = Record<string, unknown>;
interface Operation {
  requestBody?: { content?: Record<string, unknown> };
  parameters?: { in?: string }[];
  responses?: Responses;
}

const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});

const BODY_PROBLEMS: Responses = {
  413: problem('Body too large'),
  415: problem('Unsupported media type'),
  422: problem('Invalid input; `errors` names each field'),
};
const JSON_BODY_PROBLEMS: Responses = { 400: problem('The body is not valid JSON'), ...BODY_PROBLEMS };
const INPUT_PROBLEMS: Responses = { 422: BODY_PROBLEMS[422] };

const METHODS = new Set(['get', 'put', 'post', 'delete', 'patch']);

const RATE_LIMITED: Responses = {
  429: {
    ...problem('Too many requests; `Retry-After` and `RateLimit-Reset` say when to try again'),
    headers: {
      'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' } },
      'RateLimit-Limit': { description: 'Requests allowed per window', schema: { type: 'integer' } },
      'RateLimit-Remaining': { description: 'Requests left in this window', schema: { type: 'integer' } },
      'RateLimit-Reset': { description: 'Seconds until the window resets', schema: { type: 'integer' } },
    },
  },
};
const isRateLimited = (path: string) => path.startsWith('/v1/') && !path.startsWith('/v1/webhooks/');

function edgeProblems(operation: Operation): Responses {
  const content = operation.requestBody?.content;
  if (content?.['application/json']) return JSON_BODY_PROBLEMS;
  if (content) return BODY_PROBLEMS;
  if (operation.parameters?.some((parameter) => parameter.in !== 'header')) return INPUT_PROBLEMS;
  return {};
}

/** The document with each operation's edge answers added where its route did not list them. */
export function withEdgeProblems<D extends { paths?: object }>(document: D): D {
  const paths = (document.paths ?? {}) as Record<string, Record<string, Operation>>;
  for (const [path, item] of Object.entries(paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if (!METHODS.has(method)) continue;
      const limited = isRateLimited(path) ? RATE_LIMITED : {};
      const responses = { ...edgeProblems(operation), ...limited, ...operation.responses };
      operation.responses = Object.fromEntries(
        Object.entries(responses).sort(([a], [b]) => a.localeCompare(b)),
      );
    }
  }
  return document;
}
