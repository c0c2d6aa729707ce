import { createRoute, z } from '@hono/zod-openapi';
import { LEIE_COLUMNS } from '../../../domain/leie';
import { acceptedResponse } from '../../accepted';
import { authenticate, requirePlatformAdmin } from '../../middleware/authenticate';
import { listSchema, PageQuery } from '../../paging';
import { bearerAuth, jsonBody, jsonResponse, problems } from '../../schemas';
import {
  SourceCheckSchema,
  SyncAcceptedSchema as SourceSyncAcceptedSchema,
} from '../exclusion-sources/routes';

export const LEIE_FIELDS = LEIE_COLUMNS.map((column) => column.toLowerCase());

/** A check of `/v1/oig/*`: the LEIE's check of `/v1/exclusion-sources/leie/checks`, without its source. */
export const OigCheckSchema = SourceCheckSchema.omit({ source: true, rejectedRows: true }).openapi(
  'OigCheck',
);

const OigStatusSchema = z
  .object({
    state: z.enum(['never', 'fresh', 'stale', 'failed']).openapi({
      description:
        '`never` until a list is loaded; `failed` when the last check failed; `stale` when no check succeeded within EXCLUSION_SOURCE_STALE_AFTER; else `fresh`',
    }),
    warning: z
      .string()
      .nullable()
      .openapi({ description: 'What the state means for screening results; null when fresh' }),
    sample: z.boolean().openapi({
      description:
        'True when the list is the generated sample of `npm run dev -- --sample-data`, not the HHS-OIG LEIE',
    }),
    lastCheck: OigCheckSchema.nullable(),
    lastImport: z
      .object({
        checkId: z.uuid(),
        checkedAt: z.string(),
        sourceUpdatedOn: z.string().nullable(),
        rowCount: z.number().int().nullable(),
        sha256: z.string().nullable(),
        archiveKey: z.string().nullable(),
      })
      .nullable(),
    rowCount: z.number().int().openapi({ description: 'Rows in the list searches and screening use now' }),
    nextScheduledRunAt: z.string().nullable(),
    schedule: z.object({ id: z.string(), paused: z.boolean() }).nullable().openapi({
      description: 'Null when the Schedule does not exist (no worker started yet) or Temporal is down',
    }),
    retrying: z.object({ workflowId: z.string(), reason: z.string(), since: z.string() }).nullable().openapi({
      description:
        'docs/spec.md §12: a sync that has been going for 30 minutes (a dependency is down; platform admins were emailed); null otherwise',
    }),
  })
  .openapi('OigStatus');

export const OigExclusionSchema = z
  .object({
    exclusionKey: z.string(),
    ...Object.fromEntries(LEIE_FIELDS.map((field) => [field, z.string().nullable()])),
  })
  .openapi('OigExclusion');

const SyncRequestSchema = z
  .object({
    force: z.boolean().default(false).openapi({ description: 'Import even if the list looks unchanged' }),
  })
  .openapi('OigSyncRequest');

const SyncAcceptedSchema = SourceSyncAcceptedSchema.omit({ sourceId: true }).openapi('OigSyncAccepted');

/** The OIG routes' contract: what each accepts and answers (the OpenAPI document comes from here). */
export function oigRouteDefinitions(jwtSecret: string) {
  const auth = authenticate(jwtSecret);
  return {
    status: createRoute({
      method: 'get',
      path: '/v1/oig/status',
      tags: ['oig'],
      summary: 'Last check, last successful import and the next scheduled sync',
      security: bearerAuth,
      middleware: [auth] as const,
      responses: { 200: jsonResponse(OigStatusSchema, 'The OIG list status'), 401: problems[401] },
    }),
    checks: createRoute({
      method: 'get',
      path: '/v1/oig/checks',
      tags: ['oig'],
      summary: 'History of OIG checks, newest first',
      security: bearerAuth,
      middleware: [auth, requirePlatformAdmin] as const,
      request: { query: z.object(PageQuery) },
      responses: {
        200: jsonResponse(listSchema(OigCheckSchema), 'A page of checks'),
        401: problems[401],
        403: problems[403],
        422: problems[422],
      },
    }),
    sync: createRoute({
      method: 'post',
      path: '/v1/oig/sync',
      tags: ['oig'],
      summary: 'Run the OIG sync now (joins a sync already running)',
      security: bearerAuth,
      middleware: [auth, requirePlatformAdmin] as const,
      request: { body: { ...jsonBody(SyncRequestSchema), required: false } },
      responses: {
        202: acceptedResponse(SyncAcceptedSchema, 'The sync runs'),
        401: problems[401],
        403: problems[403],
        422: problems[422],
      },
    }),
    exclusions: createRoute({
      method: 'get',
      path: '/v1/oig/exclusions',
      tags: ['oig'],
      summary: 'Search the LEIE as last imported',
      description:
        '`q` is normalized like every name (upper-case, accents and punctuation dropped) and each word must appear in the name (individuals: first and last name; entities: business name).',
      security: bearerAuth,
      middleware: [auth] as const,
      request: {
        query: z.object({
          q: z.string().trim().min(2, 'q needs at least 2 characters').max(200).optional(),
          npi: z
            .string()
            .regex(/^\d{10}$/, 'expected 10 digits')
            .optional(),
          state: z
            .string()
            .regex(/^[A-Za-z]{2}$/, 'expected a 2-letter state code')
            .transform((value) => value.toUpperCase())
            .optional(),
          ...PageQuery,
        }),
      },
      responses: {
        200: jsonResponse(listSchema(OigExclusionSchema), 'A page of LEIE rows'),
        401: problems[401],
        422: problems[422],
      },
    }),
  };
}
