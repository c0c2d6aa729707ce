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

const UnsupportedMediaTypeSchema = ProblemSchema.extend({
  acceptedContentTypes: z.array(z.string()).optional(),
  example: z.string().optional().openapi({ description: 'A curl call sending an accepted type' }),
}).openapi('UnsupportedMediaTypeProblem');

const problem = (description: string, schema: z.ZodType = ProblemSchema) => ({
  description,
  content: { 'application/problem+json': { schema } },
});

export const problems = {
  400: problem('Malformed request'),
  401: problem('Missing, invalid or expired access token'),
  403: problem('Authenticated but not allowed'),
  404: problem('Not found (also for resources of another organization)'),
  409: problem('Conflicts with the current state'),
  410: problem('No longer available'),
  413: problem('Body too large'),
  415: problem(
    'Unsupported media type: names the accepted types (also in Accept-Post or Accept-Patch) and an example call',
    UnsupportedMediaTypeSchema,
  ),
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

/** A CSV download (`text/csv; charset=utf-8`, streamed). */
export function csvResponse(description: string) {
  return { description, content: { 'text/csv': { schema: z.string() } } };
}

/**
 * Kinds are spelled as docs/spec.md §3 spells the resource: a roster (an import, an S3 prefix) is
 * `employees|caregivers|patients`, a person is `employee|caregiver`. Each route also takes the
 * other spelling, so a client may write one spelling everywhere.
 */
const ROSTER_KIND_OF = {
  employees: 'employees',
  caregivers: 'caregivers',
  patients: 'patients',
  employee: 'employees',
  caregiver: 'caregivers',
  patient: 'patients',
} as const;
const PERSON_KIND_OF = {
  employee: 'employee',
  caregiver: 'caregiver',
  employees: 'employee',
  caregivers: 'caregiver',
} as const;

const kindKeys = <T extends object>(map: T) =>
  Object.keys(map) as [keyof T & string, ...(keyof T & string)[]];

/** A roster kind: `employees`, `caregivers` or `patients`; the singular is an accepted alias. */
export const RosterKindParam = z
  .enum(kindKeys(ROSTER_KIND_OF))
  .transform((kind) => ROSTER_KIND_OF[kind])
  .openapi({
    description:
      '`employees`, `caregivers` or `patients`; the singular (`employee`, `caregiver`, `patient`) is accepted as an alias',
    example: 'employees',
  });

/** A person's kind: `employee` or `caregiver`; the plural is an accepted alias. */
export const PersonKindParam = z
  .enum(kindKeys(PERSON_KIND_OF))
  .transform((kind) => PERSON_KIND_OF[kind])
  .openapi({
    description: '`employee` or `caregiver`; the plural (`employees`, `caregivers`) is accepted as an alias',
    example: 'employee',
  });
