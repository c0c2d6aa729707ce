import { z } from '@hono/zod-openapi';
import { AcceptedFields, acceptedResponse, ResourceLinks } from '../../accepted';
import { IdempotencyHeaders, idempotentCreate } from '../../middleware/idempotency';
import type { orgRouteFor } from '../../org-route';
import { listSchema, PageQuery } from '../../paging';
import { jsonResponse, problems, RosterKindParam, UuidParam } from '../../schemas';
import { rosterColumnsMarkdown } from './roster-columns';

/** The roster import routes' contract: schemas and route definitions (handlers.ts implements them). */

export const XLSX_MIME = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

const Kind = z.enum(['employees', 'caregivers', 'patients']);
const QueryBoolean = z
  .enum(['true', 'false'])
  .optional()
  .transform((value) => value === 'true');

export const ImportSchema = z
  .object({
    id: z.uuid(),
    organizationId: z.uuid(),
    kind: Kind,
    sourceBucket: z.string(),
    sourceKey: z.string(),
    sourceEtag: z.string().nullable(),
    format: z.enum(['csv', 'xlsx']),
    mode: z.enum(['replace', 'merge']),
    dryRun: z.boolean(),
    force: z.boolean(),
    status: z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']),
    rowsProcessed: z.number().int(),
    counts: z.object({
      total: z.number().int(),
      inserted: z.number().int(),
      updated: z.number().int(),
      unchanged: z.number().int(),
      deactivated: z.number().int(),
      rejected: z.number().int(),
    }),
    unknownColumns: z.array(z.string()),
    workflowId: z.string().nullable(),
    failureReason: z.string().nullable(),
    cancelRequestedAt: z.string().nullable(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
    links: ResourceLinks.extend({ errors: z.string().openapi({ description: 'The rejected rows' }) }),
  })
  .openapi('RosterImport');

const ImportErrorSchema = z
  .object({
    rowNumber: z.number().int(),
    column: z.string().nullable(),
    code: z.string(),
    message: z.string(),
    value: z.string().nullable(),
  })
  .openapi('RosterImportError');

export const ImportJsonSchema = z
  .object({
    kind: RosterKindParam,
    s3Key: z.string().min(1).max(1024),
    mode: z.enum(['replace', 'merge']).default('merge'),
    dryRun: z.boolean().default(false),
    force: z.boolean().default(false),
  })
  .openapi('StartImportFromS3');

export const ImportQuery = z.object({
  kind: RosterKindParam.optional().openapi({
    description:
      'Required when the body is the file: `employees`, `caregivers` or `patients` (the singular is accepted as an alias)',
  }),
  mode: z.enum(['replace', 'merge']).default('merge'),
  dryRun: QueryBoolean,
  force: QueryBoolean,
});

const ImportParams = z.object({ orgId: UuidParam, id: UuidParam });
export const Accepted = ImportSchema.extend(AcceptedFields).openapi('RosterImportAccepted');

/** The route definitions, in the order the OpenAPI document lists them. */
export function importRouteDefinitions(orgRoute: ReturnType<typeof orgRouteFor>) {
  return {
    uploadUrl: orgRoute('admin', {
      method: 'post',
      path: '/v1/organizations/{orgId}/imports/upload-url',
      tags: ['imports'],
      summary: 'A presigned PUT URL for a roster file; then POST …/imports with the returned key',
      request: {
        params: z.object({ orgId: UuidParam }),
        body: {
          required: true,
          content: {
            'application/json': {
              schema: z.object({ kind: RosterKindParam, filename: z.string().min(1).max(255) }),
            },
          },
        },
      },
      responses: {
        200: jsonResponse(
          z.object({
            url: z.url(),
            key: z.string(),
            method: z.literal('PUT'),
            expiresIn: z.number().int(),
          }),
          'Upload with an HTTP PUT of the file to url before it expires',
        ),
        422: problems[422],
      },
    }),
    startImport: orgRoute('admin', {
      method: 'post',
      path: '/v1/organizations/{orgId}/imports',
      tags: ['imports'],
      summary: 'Start a roster import: the file as the body, or JSON naming an uploaded S3 key',
      description:
        'Body `text/csv` or XLSX with `?kind=&mode=&dryRun=&force=`, streamed to S3; or JSON ' +
        "`{kind, s3Key, mode?, dryRun?, force?}` for a key under the organization's upload or drop prefix. " +
        'mode defaults to merge here (S3 drops default to replace). An empty file answers 422; a multipart ' +
        'form (`curl -F`) or another content type answers 415: send the file itself, e.g. ' +
        "`curl -H 'Content-Type: text/csv' --data-binary @roster.csv '…/imports?kind=employees'`.\n\n" +
        `## Roster columns\n\n${rosterColumnsMarkdown()}`,
      middleware: [idempotentCreate()],
      request: {
        params: z.object({ orgId: UuidParam }),
        query: ImportQuery,
        headers: IdempotencyHeaders,
        body: {
          required: false,
          // The file first: it is the usual way in, and what a 415 shows as the example.
          content: {
            'text/csv': { schema: z.string().openapi({ format: 'binary' }) },
            [XLSX_MIME]: { schema: z.string().openapi({ format: 'binary' }) },
            'application/json': { schema: ImportJsonSchema },
          },
        },
      },
      responses: {
        202: acceptedResponse(Accepted, 'Import queued'),
        409: problems[409],
        413: problems[413],
        415: problems[415],
        422: problems[422],
      },
    }),
    listImports: orgRoute('admin', {
      method: 'get',
      path: '/v1/organizations/{orgId}/imports',
      tags: ['imports'],
      summary: "The organization's imports, newest first",
      request: { params: z.object({ orgId: UuidParam }), query: z.object(PageQuery) },
      responses: {
        200: jsonResponse(listSchema(ImportSchema), 'Imports'),
        422: problems[422],
      },
    }),
    getImport: orgRoute('admin', {
      method: 'get',
      path: '/v1/organizations/{orgId}/imports/{id}',
      tags: ['imports'],
      summary: 'One import: status, counts and progress (rowsProcessed) while it runs',
      request: { params: ImportParams },
      responses: {
        200: jsonResponse(ImportSchema, 'The import'),
        422: problems[422],
      },
    }),
    importErrors: orgRoute('admin', {
      method: 'get',
      path: '/v1/organizations/{orgId}/imports/{id}/errors',
      tags: ['imports'],
      summary: 'Rejected rows, in file order',
      request: { params: ImportParams, query: z.object(PageQuery) },
      responses: {
        200: jsonResponse(listSchema(ImportErrorSchema), 'Rejected rows'),
        422: problems[422],
      },
    }),
    importErrorsCsv: orgRoute('admin', {
      method: 'get',
      path: '/v1/organizations/{orgId}/imports/{id}/errors.csv',
      tags: ['imports'],
      summary: 'Rejected rows as CSV (cells starting with = + - @ are neutralized)',
      request: { params: ImportParams },
      responses: {
        200: { description: 'CSV', content: { 'text/csv': { schema: z.string() } } },
      },
    }),
    cancelImport: orgRoute('admin', {
      method: 'post',
      path: '/v1/organizations/{orgId}/imports/{id}/cancel',
      tags: ['imports'],
      summary: 'Stop the import between batches; what was committed stays and is reported',
      request: { params: ImportParams },
      responses: {
        202: acceptedResponse(Accepted, 'Cancellation requested'),
        409: problems[409],
      },
    }),
  };
}
