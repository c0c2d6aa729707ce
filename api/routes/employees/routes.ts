import { z } from '@hono/zod-openapi';
import { EXCLUSION_STATUSES } from '../../../db/exclusion-status-sql';
import { AcceptedFields, acceptedResponse } from '../../accepted';
import { IdempotencyHeaders, idempotentCreate } from '../../middleware/idempotency';
import { orgRouteFor } from '../../org-route';
import { listSchema, PageQuery } from '../../paging';
import { csvResponse, jsonBody, jsonResponse, PersonKindParam, problems, UuidParam } from '../../schemas';

/** The rule of domain/screenable-names.ts, as clients read it. */
const SCREENABLE_NAME_DESCRIPTION =
  'Holds a letter of the Latin alphabet (accents allowed) or a digit: the exclusion lists are published in Latin letters, so a name only in another script could never be screened (422).';

export const EmployeeSchema = z
  .object({
    id: z.uuid(),
    organizationId: z.uuid(),
    kind: z.enum(['employee', 'caregiver']),
    externalId: z.string().nullable(),
    firstName: z.string(),
    middleName: z.string().nullable(),
    lastName: z.string(),
    dateOfBirth: z.string().nullable(),
    npi: z.string().nullable(),
    email: z.string().nullable(),
    phone: z.string().nullable(),
    title: z.string().nullable(),
    hireDate: z.string().nullable(),
    otherNames: z.array(z.string()).openapi({
      description:
        'Other names the person is or was known by (maiden, former, AKA); screened like the primary name',
    }),
    status: z.enum(['active', 'inactive']),
    exclusionStatus: z.enum(EXCLUSION_STATUSES).openapi({
      description:
        '`excluded`: a confirmed match; `possible_match`: a match open or under review; otherwise `clear` when compared against a whole loaded list since the last change (`lastScreenedAt`), else `not_screened` (empty is not clear).',
    }),
    lastScreenedAt: z.string().nullable().openapi({
      description: 'When the person was last compared against a whole loaded exclusion list; null: never',
    }),
    lastImportId: z.uuid().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Employee');

const optionalText = (max: number) => z.string().max(max).nullable().optional();
// The rules of a roster row (domain/roster-row.ts), which a person added or changed here also
// passes, stated for clients; the service answers 422 naming the field when one is broken.
const ROSTER_DATE = {
  pattern: '^(\\d{4}-\\d{2}-\\d{2}|\\d{1,2}/\\d{1,2}/\\d{4}|\\d{8})$',
  description: 'A calendar date: YYYY-MM-DD, MM/DD/YYYY, M/D/YYYY or YYYYMMDD',
};
const EditableFields = {
  externalId: optionalText(200).openapi({ description: 'externalId or email identifies the person' }),
  firstName: z.string().min(1).max(200).openapi({ description: SCREENABLE_NAME_DESCRIPTION }),
  middleName: optionalText(200),
  lastName: z.string().min(1).max(200).openapi({ description: SCREENABLE_NAME_DESCRIPTION }),
  dateOfBirth: optionalText(10).openapi({ ...ROSTER_DATE, example: '1980-04-01' }),
  npi: optionalText(10).openapi({
    pattern: '^\\d{10}$',
    description: '10 digits, the last the check digit of the CMS NPI standard',
  }),
  email: optionalText(320).openapi({ pattern: '^[^\\s@]+@[^\\s@]+\\.[^\\s@]+$' }),
  phone: optionalText(50),
  title: optionalText(200),
  hireDate: optionalText(10).openapi(ROSTER_DATE),
  otherNames: z
    .array(z.string().min(1).max(200))
    .max(20)
    .nullable()
    .optional()
    .openapi({
      description:
        'Other names (maiden, former, AKA), each a full name ("Jane Q Doe", "Doe, Jane") or a last name alone; a name holding `;` or `|` counts as several, as in a roster cell. Each needs a letter; null or [] clears them.',
      example: ['Jane Smith', 'Doe'],
    }),
  status: z.enum(['active', 'inactive']).optional(),
};
const CreateSchema = z.object({ kind: PersonKindParam, ...EditableFields }).openapi('CreateEmployee');
const UpdateSchema = z
  .object({
    ...EditableFields,
    firstName: EditableFields.firstName.optional(),
    lastName: EditableFields.lastName.optional(),
  })
  .openapi('UpdateEmployee');

const Filters = {
  q: z.string().trim().min(2, 'q needs at least 2 characters').max(200).optional().openapi({
    description: 'Name (trigram substring on the normalized full name), or an exact externalId, email or NPI',
  }),
  kind: PersonKindParam.optional(),
  status: z.enum(['active', 'inactive']).optional(),
  npi: z
    .string()
    .regex(/^\d{10}$/)
    .optional(),
  exclusionStatus: z.enum(EXCLUSION_STATUSES).optional(),
};
const SearchQuery = z.object({ ...Filters, ...PageQuery });

const OrgParams = z.object({ orgId: UuidParam });
const Params = z.object({ orgId: UuidParam, id: UuidParam });

/** The employee routes, guarded by organization access checked with `secret`. */
export function employeeRouteDefinitions(secret: string) {
  const orgRoute = orgRouteFor(secret);
  const Accepted = EmployeeSchema.extend(AcceptedFields).openapi('EmployeeAccepted');
  return {
    search: orgRoute('member', {
      method: 'get',
      path: '/v1/organizations/{orgId}/employees',
      tags: ['employees'],
      summary: 'Search employees and caregivers (keyset pages ordered by normalized name)',
      request: { params: OrgParams, query: SearchQuery },
      responses: {
        200: jsonResponse(listSchema(EmployeeSchema), 'Employees'),
        422: problems[422],
      },
    }),
    exportCsv: orgRoute('member', {
      method: 'get',
      path: '/v1/organizations/{orgId}/employees.csv',
      tags: ['employees'],
      summary:
        'The list as CSV, with the same filters, streamed (cells starting with = + - @ tab CR are neutralized)',
      request: { params: OrgParams, query: z.object(Filters) },
      responses: {
        200: csvResponse(
          'One row per person: id, kind, externalId, names, dateOfBirth, npi, email, phone, title, hireDate, status, exclusionStatus, lastScreenedAt',
        ),
        422: problems[422],
      },
    }),
    create: orgRoute('admin', {
      method: 'post',
      path: '/v1/organizations/{orgId}/employees',
      tags: ['employees'],
      summary: 'Add an employee or caregiver by hand; starts their exclusion screening',
      middleware: [idempotentCreate()],
      request: { params: OrgParams, headers: IdempotencyHeaders, body: jsonBody(CreateSchema) },
      responses: {
        202: acceptedResponse(Accepted, 'Created; screening started'),
        409: problems[409],
        422: problems[422],
      },
    }),
    get: orgRoute('member', {
      method: 'get',
      path: '/v1/organizations/{orgId}/employees/{id}',
      tags: ['employees'],
      summary: 'One employee or caregiver',
      request: { params: Params },
      responses: {
        200: jsonResponse(EmployeeSchema, 'The employee'),
        422: problems[422],
      },
    }),
    update: orgRoute('admin', {
      method: 'patch',
      path: '/v1/organizations/{orgId}/employees/{id}',
      tags: ['employees'],
      summary: 'Change an employee (null clears a field); starts their exclusion screening',
      request: { params: Params, body: jsonBody(UpdateSchema) },
      responses: {
        202: acceptedResponse(Accepted, 'Updated; screening started'),
        409: problems[409],
        422: problems[422],
      },
    }),
    deactivate: orgRoute('admin', {
      method: 'delete',
      path: '/v1/organizations/{orgId}/employees/{id}',
      tags: ['employees'],
      summary: 'Mark an employee inactive (the row and its exclusion-match history are kept)',
      request: { params: Params },
      responses: {
        200: jsonResponse(EmployeeSchema, 'The employee, now inactive'),
        422: problems[422],
      },
    }),
  };
}
