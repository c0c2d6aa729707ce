import { createRoute, z } from '@hono/zod-openapi';
import { ScheduleNotFoundError, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { QueryTypes } from 'sequelize';
import { recordAudit } from '../../db/audit-store';
import { LEIE_COLUMNS } from '../../domain/leie';
import {
  OIG_SCHEDULE_ID,
  OIG_SYNC_WORKFLOW_TYPE,
  type OigSyncInput,
  oigManualSyncWorkflowId,
} from '../../lib/workflow-contracts';
import { AcceptedFields, acceptedBody } from '../accepted';
import { type AppDeps, createRouter } from '../env';
import { authenticate, requirePlatformAdmin } from '../middleware/authenticate';
import { decodeCursor, listSchema, PageQuery, page } from '../paging';
import { bearerAuth, jsonBody, jsonResponse, problems } from '../schemas';

const LEIE_FIELDS = LEIE_COLUMNS.map((column) => column.toLowerCase());
/** How long GET /v1/oig/status waits for the Schedule before answering without the next run. */
const SCHEDULE_DESCRIBE_TIMEOUT_MS = 3_000;

const OigCheckSchema = z
  .object({
    id: z.uuid(),
    checkedAt: z.string(),
    trigger: z.enum(['schedule', 'manual']),
    sourceUpdatedOn: z.string().nullable().openapi({ description: 'The "last update" date on the OIG page' }),
    etag: z.string().nullable(),
    lastModified: z.string().nullable(),
    sha256: z.string().nullable(),
    status: z.enum(['unchanged', 'imported', 'failed']),
    rowCount: z.number().int().nullable(),
    added: z.number().int().nullable(),
    removed: z.number().int().nullable(),
    invalidFields: z.number().int().nullable().openapi({
      description: 'Dates in the file that were not valid YYYYMMDD; the rows were kept with the field empty',
    }),
    durationMs: z.number().int().nullable(),
    archiveKey: z.string().nullable(),
    warning: z.string().nullable(),
    error: z.string().nullable(),
    workflowId: z.string().nullable(),
  })
  .openapi('OigCheck');

const OigStatusSchema = z
  .object({
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
  })
  .openapi('OigStatus');

const OigExclusionSchema = z
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

const SyncAcceptedSchema = z
  .object({
    trigger: z.literal('manual'),
    force: z.boolean(),
    alreadyRunning: z.boolean().openapi({ description: 'A sync was already running; this is that one' }),
    runId: z.string(),
    ...AcceptedFields,
  })
  .openapi('OigSyncAccepted');

const CHECK_COLUMNS = `id, checked_at AS "checkedAt", trigger, source_updated_on::text AS "sourceUpdatedOn", etag,
  last_modified AS "lastModified", sha256, status, row_count AS "rowCount", added, removed,
  invalid_fields AS "invalidFields", duration_ms AS "durationMs", archive_key AS "archiveKey", warning, error,
  workflow_id AS "workflowId"`;

type CheckRow = z.infer<typeof OigCheckSchema> & { checkedAt: Date | string };
const checkJson = (row: CheckRow) => ({ ...row, checkedAt: new Date(row.checkedAt).toISOString() });

export function oigRoutes({ config, sequelize, temporal, logger }: AppDeps) {
  const auth = authenticate(config.AUTH_JWT_SECRET);
  const select = <T extends object>(sql: string, replacements: Record<string, unknown> = {}) =>
    sequelize.query<T>(sql, { type: QueryTypes.SELECT, replacements });

  async function describeSchedule() {
    try {
      return await temporal.schedule.getHandle(OIG_SCHEDULE_ID).describe();
    } catch (error) {
      if (error instanceof ScheduleNotFoundError) return null;
      throw error;
    }
  }

  return createRouter()
    .openapi(
      createRoute({
        method: 'get',
        path: '/v1/oig/status',
        tags: ['oig'],
        summary: 'Last check, last successful import and the next scheduled sync',
        security: bearerAuth,
        middleware: [auth] as const,
        responses: { 200: jsonResponse(OigStatusSchema, 'The OIG list status'), 401: problems[401] },
      }),
      async (c) => {
        const [[lastCheck], [lastImport], [count], schedule] = await Promise.all([
          select<CheckRow>(
            `SELECT ${CHECK_COLUMNS} FROM oig_exclusions_check ORDER BY checked_at DESC, id DESC LIMIT 1`,
          ),
          select<CheckRow>(
            `SELECT ${CHECK_COLUMNS} FROM oig_exclusions_check WHERE status = 'imported'
              ORDER BY checked_at DESC, id DESC LIMIT 1`,
          ),
          select<{ n: number }>('SELECT count(*)::int AS n FROM oig_employees_exclusion'),
          Promise.race([
            describeSchedule(),
            new Promise<null>((resolve) =>
              setTimeout(() => resolve(null), SCHEDULE_DESCRIBE_TIMEOUT_MS).unref(),
            ),
          ]).catch((error: unknown) => {
            logger.warn({ err: error }, 'could not describe the OIG schedule');
            return null;
          }),
        ]);
        const next = schedule?.info.nextActionTimes[0];
        return c.json(
          {
            lastCheck: lastCheck ? checkJson(lastCheck) : null,
            lastImport: lastImport
              ? {
                  checkId: lastImport.id,
                  checkedAt: new Date(lastImport.checkedAt).toISOString(),
                  sourceUpdatedOn: lastImport.sourceUpdatedOn,
                  rowCount: lastImport.rowCount,
                  sha256: lastImport.sha256,
                  archiveKey: lastImport.archiveKey,
                }
              : null,
            rowCount: count?.n ?? 0,
            nextScheduledRunAt: next ? next.toISOString() : null,
            schedule: schedule ? { id: OIG_SCHEDULE_ID, paused: schedule.state.paused } : null,
          },
          200,
        );
      },
    )
    .openapi(
      createRoute({
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
      async (c) => {
        const { limit, cursor } = c.req.valid('query');
        const after = decodeCursor(cursor, ['timestamp', 'uuid']);
        const rows = await select<CheckRow>(
          `SELECT ${CHECK_COLUMNS} FROM oig_exclusions_check
            ${after ? 'WHERE (checked_at, id) < (:checkedAt::timestamptz, :id::uuid)' : ''}
            ORDER BY checked_at DESC, id DESC LIMIT :limit`,
          { limit: limit + 1, checkedAt: after?.[0] ?? null, id: after?.[1] ?? null },
        );
        const result = page(rows.map(checkJson), limit, (row) => [row.checkedAt, row.id]);
        return c.json(result, 200);
      },
    )
    .openapi(
      createRoute({
        method: 'post',
        path: '/v1/oig/sync',
        tags: ['oig'],
        summary: 'Run the OIG sync now (joins a sync already running)',
        security: bearerAuth,
        middleware: [auth, requirePlatformAdmin] as const,
        request: { body: { ...jsonBody(SyncRequestSchema), required: false } },
        responses: {
          202: jsonResponse(SyncAcceptedSchema, 'The sync runs'),
          401: problems[401],
          403: problems[403],
          422: problems[422],
        },
      }),
      async (c) => {
        // The body is optional: a bare POST is a sync without force.
        const force = (c.req.header('content-type') ? c.req.valid('json')?.force : undefined) ?? false;
        const workflowId = oigManualSyncWorkflowId();
        const input: OigSyncInput = { trigger: 'manual', force };
        let alreadyRunning = false;
        let runId: string;
        try {
          const handle = await temporal.workflow.start(OIG_SYNC_WORKFLOW_TYPE, {
            workflowId,
            taskQueue: config.TEMPORAL_TASK_QUEUE,
            args: [input],
          });
          runId = handle.firstExecutionRunId;
        } catch (error) {
          if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
          alreadyRunning = true;
          runId = (await temporal.workflow.getHandle(workflowId).describe()).runId;
        }
        await recordAudit(sequelize, {
          actorUserId: c.var.user.id,
          action: 'oig.sync.requested',
          entityType: 'oig_sync',
          entityId: null,
          organizationId: null,
          details: { force, workflowId, runId, alreadyRunning },
        });
        return c.json(
          acceptedBody(
            config,
            { trigger: 'manual' as const, force, alreadyRunning, runId },
            workflowId,
            '/v1/oig/status',
          ),
          202,
        );
      },
    )
    .openapi(
      createRoute({
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
            q: z.string().trim().min(1).max(200).optional(),
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
      async (c) => {
        const { q, npi, state, limit, cursor } = c.req.valid('query');
        const after = decodeCursor(cursor, ['text', 'uuid']);
        const conditions: string[] = [];
        const replacements: Record<string, unknown> = { limit: limit + 1 };
        if (q) {
          const [normalized] = await select<{ value: string | null }>(
            'SELECT ale_normalize_name(:q) AS value',
            { q },
          );
          const words = (normalized?.value ?? '').split(' ').filter(Boolean);
          if (words.length === 0) return c.json({ items: [], nextCursor: null }, 200);
          // Trigram-indexed LIKE per word: "SMITH JOHN" finds JOHN SMITH; normalized text has no % or _.
          words.forEach((word, index) => {
            conditions.push(`full_name_norm LIKE :w${index}`);
            replacements[`w${index}`] = `%${word}%`;
          });
        }
        if (npi) {
          conditions.push('npi = :npi');
          replacements.npi = npi;
        }
        if (state) {
          conditions.push('state = :state');
          replacements.state = state;
        }
        if (after) {
          conditions.push(`(coalesce(full_name_norm, ''), id) > (:afterName, :afterId::uuid)`);
          replacements.afterName = after[0];
          replacements.afterId = after[1];
        }
        const rows = await select<Record<string, string | null> & { id: string; sortName: string }>(
          `SELECT id, coalesce(full_name_norm, '') AS "sortName", exclusion_key AS "exclusionKey", ${LEIE_FIELDS.join(', ')}
             FROM oig_employees_exclusion
            ${conditions.length ? `WHERE ${conditions.join(' AND ')}` : ''}
            ORDER BY coalesce(full_name_norm, ''), id
            LIMIT :limit`,
          replacements,
        );
        const result = page(rows, limit, (row) => [row.sortName, row.id]);
        return c.json(
          {
            items: result.items.map(
              ({ id: _id, sortName: _sortName, ...row }) => row as z.infer<typeof OigExclusionSchema>,
            ),
            nextCursor: result.nextCursor,
          },
          200,
        );
      },
    );
}
