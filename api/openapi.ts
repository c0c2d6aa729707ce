/**
 * Answers every route gives before its handler runs, added to the generated OpenAPI document so
 * that it states them too: a body that is not JSON (400), too large (413), of another media type
 * (415), and a query or body that fails validation (422, also for a NUL character in any string).
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
  for (const item of Object.values(paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if (!METHODS.has(method)) continue;
      const responses = { ...edgeProblems(operation), ...operation.responses };
      operation.responses = Object.fromEntries(
        Object.entries(responses).sort(([a], [b]) => a.localeCompare(b)),
      );
    }
  }
  return document;
}
