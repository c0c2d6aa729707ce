import { createRoute, z } from '@hono/zod-openapi';
import { EXCLUSION_SOURCE_IDS } from '../../../domain/exclusion-sources/source';
import { AcceptedFields, acceptedResponse } from '../../accepted';
import { authenticate, requirePlatformAdmin } from '../../middleware/authenticate';
import { listSchema, PageQuery } from '../../paging';
import { bearerAuth, jsonBody, jsonResponse, problems } from '../../schemas';
import { ExclusionRecordSchema } from './schemas';

export const SourceCheckSchema = z
  .object({
    id: z.uuid(),
    source: z.string(),
    checkedAt: z.string(),
    trigger: z.enum(['schedule', 'manual']),
    sourceUpdatedOn: z.string().nullable(),
    etag: z.string().nullable(),
    lastModified: z.string().nullable(),
    sha256: z.string().nullable(),
    status: z.enum(['unchanged', 'imported', 'failed']),
    rowCount: z.number().int().nullable(),
    added: z.number().int().nullable(),
    removed: z.number().int().nullable(),
    invalidFields: z
      .number()
      .int()
      .nullable()
      .openapi({ description: 'LEIE only: dates that were not valid' }),
    rejectedRows: z.number().int().nullable().openapi({
      description: 'Other lists: rows that could not be read (rejected and counted, the file kept)',
    }),
    durationMs: z.number().int().nullable(),
    archiveKey: z.string().nullable(),
    warning: z.string().nullable(),
    error: z.string().nullable(),
    workflowId: z.string().nullable(),
  })
  .openapi('ExclusionSourceCheck');

const SourceSchema = z
  .object({
    id: z.enum(EXCLUSION_SOURCE_IDS),
    name: z.string(),
    enabled: z
      .boolean()
      .openapi({ description: 'Listed in EXCLUSION_SOURCES: people are screened against it' }),
    state: z.enum(['fresh', 'stale', 'failed', 'never', 'not_configured']).openapi({
      description:
        '`not_configured` when its URL (or SAM_API_KEY) is unset; `never` until a list is loaded; `failed` when the last check failed (the list loaded before stays in force); `stale` when no check succeeded within EXCLUSION_SOURCE_STALE_AFTER; else `fresh`',
    }),
    notConfiguredReason: z.string().nullable(),
    lastCheck: SourceCheckSchema.nullable(),
    lastImport: SourceCheckSchema.nullable(),
    sourceUpdatedOn: z.string().nullable(),
    rowCount: z.number().int().openapi({ description: 'Records in the list screening and search use now' }),
    nextScheduledRunAt: z.string().nullable(),
    scheduleId: z.string(),
  })
  .openapi('ExclusionSource');

// Any other id is 404, whatever its length (docs/features.md: an unknown sourceId is 404).
const SourceIdParam = z.string().openapi({ param: { in: 'path', name: 'sourceId' }, example: 'sam' });

const SyncRequestSchema = z
  .object({
    force: z
      .boolean()
      .default(false)
      .openapi({ description: 'Import even an unchanged file, and a list under 90 % of the current one' }),
  })
  .openapi('ExclusionSourceSyncRequest');

/** A sync request's 202: also `/v1/oig/sync`'s, without `sourceId` (the LEIE's view, docs/spec.md §8). */
export const SyncAcceptedSchema = z
  .object({
    sourceId: z.enum(EXCLUSION_SOURCE_IDS),
    trigger: z.literal('manual'),
    force: z.boolean(),
    alreadyRunning: z.boolean().openapi({ description: 'A sync was already running; this is that one' }),
    runId: z.string().nullable().openapi({
      description:
        'The run that syncs; null while Temporal is unavailable: the request is kept and the sync starts once it answers (docs/spec.md §12)',
    }),
    ...AcceptedFields,
  })
  .openapi('ExclusionSourceSyncAccepted');

/** The exclusion-source routes' contract (docs/spec.md §8). */
export function exclusionSourceRouteDefinitions(jwtSecret: string) {
  const auth = authenticate(jwtSecret);
  return {
    list: createRoute({
      method: 'get',
      path: '/v1/exclusion-sources',
      tags: ['exclusion-sources'],
      summary: 'Every exclusion list: state, last check, last import, size, next run',
      security: bearerAuth,
      middleware: [auth] as const,
      responses: {
        200: jsonResponse(
          z.object({
            items: z.array(SourceSchema),
            nextCursor: z.null().openapi({ description: 'Always null: every source is on one page' }),
          }),
          'Every source',
        ),
        401: problems[401],
      },
    }),
    one: createRoute({
      method: 'get',
      path: '/v1/exclusion-sources/{sourceId}',
      tags: ['exclusion-sources'],
      summary: 'One exclusion list',
      security: bearerAuth,
      middleware: [auth] as const,
      request: { params: z.object({ sourceId: SourceIdParam }) },
      responses: {
        200: jsonResponse(SourceSchema, 'The source'),
        401: problems[401],
        404: problems[404],
        422: problems[422],
      },
    }),
    checks: createRoute({
      method: 'get',
      path: '/v1/exclusion-sources/{sourceId}/checks',
      tags: ['exclusion-sources'],
      summary: "A source's check history, newest first",
      security: bearerAuth,
      middleware: [auth, requirePlatformAdmin] as const,
      request: { params: z.object({ sourceId: SourceIdParam }), query: z.object(PageQuery) },
      responses: {
        200: jsonResponse(listSchema(SourceCheckSchema), 'A page of checks'),
        401: problems[401],
        403: problems[403],
        404: problems[404],
        422: problems[422],
      },
    }),
    sync: createRoute({
      method: 'post',
      path: '/v1/exclusion-sources/{sourceId}/sync',
      tags: ['exclusion-sources'],
      summary: 'Sync the list now (joins a sync already running)',
      security: bearerAuth,
      middleware: [auth, requirePlatformAdmin] as const,
      request: {
        params: z.object({ sourceId: SourceIdParam }),
        body: { ...jsonBody(SyncRequestSchema), required: false },
      },
      responses: {
        202: acceptedResponse(SyncAcceptedSchema, 'The sync runs'),
        401: problems[401],
        403: problems[403],
        404: problems[404],
        409: problems[409],
        422: problems[422],
      },
    }),
    search: createRoute({
      method: 'get',
      path: '/v1/exclusions',
      tags: ['exclusion-sources'],
      summary: 'Search every enabled list; each row says its source',
      description:
        '`q` is normalized like every name and each word must appear in the record’s names or aliases.',
      security: bearerAuth,
      middleware: [auth] as const,
      request: {
        query: z.object({
          q: z.string().trim().min(2).max(200).optional(),
          npi: z
            .string()
            .regex(/^\d{10}$/, 'expected 10 digits')
            .optional(),
          state: z
            .string()
            .regex(/^[A-Za-z]{2}$/, 'expected a 2-letter state code')
            .transform((value) => value.toUpperCase())
            .optional(),
          source: z.enum(EXCLUSION_SOURCE_IDS).optional(),
          ...PageQuery,
        }),
      },
      responses: {
        200: jsonResponse(listSchema(ExclusionRecordSchema), 'A page of records'),
        401: problems[401],
        422: problems[422],
      },
    }),
  };
}
