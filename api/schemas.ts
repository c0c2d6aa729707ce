import { z } from '@hono/zod-openapi';

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .openapi('Problem');

const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: ProblemSchema } },
});

export const problems = {
  400: problem('Malformed request'),
  401: problem('Missing, invalid or expired access token'),
  403: problem('Authenticated but not allowed'),
  404: problem('Not found (also for resources of another organization)'),
  409: problem('Conflicts with the current state'),
  410: problem('No longer available'),
  413: problem('Body too large'),
  415: problem('Unsupported media type'),
  422: problem('Invalid input; `errors` names each field'),
  429: problem('Too many requests; see Retry-After'),
  503: problem('A dependency is unavailable'),
} as const;

export const bearerAuth = [{ bearerAuth: [] }];

export const UuidParam = z.uuid().openapi({ param: { in: 'path' } });

export function jsonBody<T extends z.ZodType>(schema: T, description?: string) {
  return { required: true, description, content: { 'application/json': { schema } } };
}

export function jsonResponse<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { 'application/json': { schema } } };
}
