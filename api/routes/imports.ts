import { createHash, randomUUID } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { z } from '@hono/zod-openapi';
import { type Client, WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy } from '@temporalio/client';
import { QueryTypes, type Sequelize } from 'sequelize';
import { recordAudit } from '../../db/audit-store';
import type { RosterImportRow } from '../../db/roster-import-row';
import { neutralizeCsvCell } from '../../domain/roster-row';
import { createS3Client } from '../../lib/aws';
import type { Config } from '../../lib/config';
import type { RosterKind } from '../../lib/workflow-contracts';
import { ROSTER_IMPORT_WORKFLOW_TYPE, rosterImportWorkflowId } from '../../lib/workflow-contracts';
import { AcceptedFields, acceptedBody } from '../accepted';
import { type AppDeps, createRouter } from '../env';
import { orgRouteFor } from '../org-route';
import { decodeCursor, listSchema, PageQuery, page } from '../paging';
import { ProblemError } from '../problem';
import { jsonResponse, problems, UuidParam } from '../schemas';

export const XLSX_MIME = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
/** Generous: a million-row roster is ~100 MB of CSV. */
export const MAX_IMPORT_UPLOAD_BYTES = 1024 * 1024 * 1024;

const KINDS = ['employees', 'caregivers', 'patients'] as const;
const Kind = z.enum(KINDS);
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

const iso = (value: Date | null) => (value ? new Date(value).toISOString() : null);

export function importJson(row: RosterImportRow): z.infer<typeof ImportSchema> {
  return {
    id: row.id,
    organizationId: row.organization_id,
    kind: row.kind,
    sourceBucket: row.source_bucket,
    sourceKey: row.source_key,
    sourceEtag: row.source_etag,
    format: row.format,
    mode: row.mode,
    dryRun: row.dry_run,
    force: row.force,
    status: row.status,
    rowsProcessed: row.rows_processed,
    counts: {
      total: row.total_count,
      inserted: row.inserted_count,
      updated: row.updated_count,
      unchanged: row.unchanged_count,
      deactivated: row.deactivated_count,
      rejected: row.rejected_count,
    },
    unknownColumns: row.unknown_columns,
    workflowId: row.workflow_id,
    failureReason: row.failure_reason,
    cancelRequestedAt: iso(row.cancel_requested_at),
    startedAt: iso(row.started_at),
    finishedAt: iso(row.finished_at),
    createdAt: iso(row.created_at) as string,
    updatedAt: iso(row.updated_at) as string,
  };
}

// ── S3 key layout ───────────────────────────────────────────────────────────────────────────────

const keyPrefix = (config: Pick<Config, 'AWS_S3_KEY_PREFIX'>) =>
  config.AWS_S3_KEY_PREFIX && !config.AWS_S3_KEY_PREFIX.endsWith('/')
    ? `${config.AWS_S3_KEY_PREFIX}/`
    : config.AWS_S3_KEY_PREFIX;

/** Where API uploads of one organization go (not a drop folder, so S3 events never start them twice). */
export const uploadPrefix = (config: Pick<Config, 'AWS_S3_KEY_PREFIX'>, organizationId: string) =>
  `${keyPrefix(config)}imports/${organizationId}/`;

/** The S3 drop folder of one roster kind: `<prefix><kind>-list/<orgId>/`. */
export const dropPrefix = (
  config: Pick<Config, 'AWS_S3_KEY_PREFIX'>,
  kind: RosterKind,
  organizationId: string,
) => `${keyPrefix(config)}${kind}-list/${organizationId}/`;

export const formatOfKey = (key: string): 'csv' | 'xlsx' => (/\.xlsx$/i.test(key) ? 'xlsx' : 'csv');

/** A uuid v5 (RFC 9562, SHA-1) in the namespace of S3 events: the same bucket/key/etag, the same id. */
export function s3EventImportId(bucket: string, key: string, etag: string): string {
  const namespace = Buffer.from('6f1b0c8e9a4d4f5e8b7a2c3d4e5f6a7b', 'hex');
  const hash = createHash('sha1')
    .update(namespace)
    .update(`${bucket}\n${key}\n${etag.replaceAll('"', '')}`)
    .digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// ── Starting an import: one row, one workflow, whatever the entry path ──────────────────────────

export interface NewImport {
  id?: string;
  organizationId: string;
  kind: RosterKind;
  bucket: string;
  key: string;
  etag?: string | null;
  format: 'csv' | 'xlsx';
  mode: 'replace' | 'merge';
  dryRun: boolean;
  force: boolean;
  createdBy: string | null;
}

/**
 * Records the import and starts `roster-import/<id>`. With a deterministic id (S3 events) a second
 * call finds the row and starts nothing new; a row left `queued` by a crash is started again.
 */
export async function startRosterImport(
  deps: { sequelize: Sequelize; temporal: Client; config: Config },
  input: NewImport,
): Promise<{ row: RosterImportRow; created: boolean }> {
  const id = input.id ?? randomUUID();
  const workflowId = rosterImportWorkflowId(id);
  const inserted = await deps.sequelize.query<RosterImportRow>(
    `INSERT INTO roster_imports (id, organization_id, kind, source_bucket, source_key, source_etag, format, mode,
       dry_run, force, workflow_id, created_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
     ON CONFLICT (id) DO NOTHING RETURNING *`,
    {
      bind: [
        id,
        input.organizationId,
        input.kind,
        input.bucket,
        input.key,
        input.etag ?? null,
        input.format,
        input.mode,
        input.dryRun,
        input.force,
        workflowId,
        input.createdBy,
      ],
      type: QueryTypes.SELECT,
    },
  );
  const created = inserted.length > 0;
  const row = inserted[0] ?? (await findImport(deps.sequelize, input.organizationId, id));
  if (!row) throw new ProblemError(404, `Import ${id} was not found.`);
  if (created) {
    await recordAudit(deps.sequelize, {
      actorUserId: input.createdBy,
      action: 'roster_import.created',
      entityType: 'roster_import',
      entityId: id,
      organizationId: input.organizationId,
      details: {
        kind: input.kind,
        mode: input.mode,
        dryRun: input.dryRun,
        force: input.force,
        format: input.format,
      },
    });
  }
  if (created || row.status === 'queued') {
    try {
      await deps.temporal.workflow.start(ROSTER_IMPORT_WORKFLOW_TYPE, {
        taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
        workflowId,
        args: [{ importId: id }],
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      });
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    }
  }
  return { row, created };
}

async function findImport(sequelize: Sequelize, organizationId: string, id: string) {
  const rows = await sequelize.query<RosterImportRow>(
    'SELECT * FROM roster_imports WHERE id = $1 AND organization_id = $2',
    { bind: [id, organizationId], type: QueryTypes.SELECT },
  );
  return rows[0];
}

async function requireImport(sequelize: Sequelize, organizationId: string, id: string) {
  const row = await findImport(sequelize, organizationId, id);
  if (!row) throw new ProblemError(404, `Import ${id} was not found.`);
  return row;
}

/** Streams a request body to S3 (multipart) without holding it; over the cap answers 413. */
async function streamBodyToS3(
  s3: S3Client,
  body: ReadableStream<Uint8Array>,
  params: { bucket: string; key: string; contentType: string },
): Promise<{ etag: string | null; bytes: number }> {
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      if (bytes > MAX_IMPORT_UPLOAD_BYTES) {
        callback(new ProblemError(413, `The file is larger than ${MAX_IMPORT_UPLOAD_BYTES} bytes.`));
      } else callback(null, chunk);
    },
  });
  const source = Readable.fromWeb(body as WebReadableStream<Uint8Array>);
  source.on('error', (error) => counter.destroy(error));
  const upload = new Upload({
    client: s3,
    params: {
      Bucket: params.bucket,
      Key: params.key,
      Body: source.pipe(counter),
      ContentType: params.contentType,
    },
    queueSize: 2,
    partSize: 8 * 1024 * 1024,
  });
  try {
    const result = await upload.done();
    return { etag: result.ETag ?? null, bytes };
  } catch (error) {
    if (error instanceof ProblemError) throw error;
    if (bytes > MAX_IMPORT_UPLOAD_BYTES) {
      throw new ProblemError(413, `The file is larger than ${MAX_IMPORT_UPLOAD_BYTES} bytes.`);
    }
    throw error;
  }
}

const safeFilename = (name: string) =>
  name
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[._]+/, '')
    .slice(-100) || 'roster';

const ImportJsonSchema = z
  .object({
    kind: Kind,
    s3Key: z.string().min(1).max(1024),
    mode: z.enum(['replace', 'merge']).default('merge'),
    dryRun: z.boolean().default(false),
    force: z.boolean().default(false),
  })
  .openapi('StartImportFromS3');

const ImportQuery = z.object({
  kind: Kind.optional().openapi({ description: 'Required when the body is the file' }),
  mode: z.enum(['replace', 'merge']).default('merge'),
  dryRun: QueryBoolean,
  force: QueryBoolean,
});

const ImportParams = z.object({ orgId: UuidParam, id: UuidParam });
const Accepted = ImportSchema.extend(AcceptedFields).openapi('RosterImportAccepted');
const CSV_ERRORS_PAGE = 5000;

export function importRoutes({ config, sequelize, temporal }: AppDeps) {
  const orgRoute = orgRouteFor(config.AUTH_JWT_SECRET);
  const s3 = createS3Client(config);
  const deps = { config, sequelize, temporal };
  const selfPath = (row: RosterImportRow) => `/v1/organizations/${row.organization_id}/imports/${row.id}`;
  const accepted = (row: RosterImportRow) =>
    acceptedBody(config, importJson(row), row.workflow_id ?? rosterImportWorkflowId(row.id), selfPath(row));

  return createRouter()
    .openapi(
      orgRoute('admin', {
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
                schema: z.object({ kind: Kind, filename: z.string().min(1).max(255) }),
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
      async (c) => {
        const { kind, filename } = c.req.valid('json');
        const key = `${uploadPrefix(config, c.var.organization.id)}${kind}/${randomUUID()}/${safeFilename(filename)}`;
        const expiresIn = 900;
        const url = await getSignedUrl(
          s3,
          new PutObjectCommand({ Bucket: config.AWS_S3_BUCKET_NAME, Key: key }),
          {
            expiresIn,
          },
        );
        return c.json({ url, key, method: 'PUT' as const, expiresIn }, 200);
      },
    )
    .openapi(
      orgRoute('admin', {
        method: 'post',
        path: '/v1/organizations/{orgId}/imports',
        tags: ['imports'],
        summary: 'Start a roster import: the file as the body, or JSON naming an uploaded S3 key',
        description:
          'Body `text/csv` or XLSX with `?kind=&mode=&dryRun=&force=`, streamed to S3; or JSON ' +
          "`{kind, s3Key, mode?, dryRun?, force?}` for a key under the organization's upload or drop prefix. " +
          'mode defaults to merge here (S3 drops default to replace).',
        request: {
          params: z.object({ orgId: UuidParam }),
          query: ImportQuery,
          body: {
            required: false,
            content: {
              'application/json': { schema: ImportJsonSchema },
              'text/csv': { schema: z.string().openapi({ format: 'binary' }) },
              [XLSX_MIME]: { schema: z.string().openapi({ format: 'binary' }) },
            },
          },
        },
        responses: {
          202: jsonResponse(Accepted, 'Import queued'),
          413: problems[413],
          415: problems[415],
          422: problems[422],
        },
      }),
      async (c) => {
        const organizationId = c.var.organization.id;
        const contentType = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
        let input: NewImport;
        if (contentType === 'application/json') {
          const body = c.req.valid('json') as z.infer<typeof ImportJsonSchema>;
          const allowed = [
            uploadPrefix(config, organizationId),
            dropPrefix(config, body.kind, organizationId),
          ];
          if (!allowed.some((prefix) => body.s3Key.startsWith(prefix)) || body.s3Key.includes('/../')) {
            throw new ProblemError(
              403,
              `s3Key must be under ${allowed.join(' or ')}: this organization cannot import other objects.`,
            );
          }
          input = {
            organizationId,
            kind: body.kind,
            bucket: config.AWS_S3_BUCKET_NAME,
            key: body.s3Key,
            format: formatOfKey(body.s3Key),
            mode: body.mode,
            dryRun: body.dryRun,
            force: body.force,
            createdBy: c.var.user.id,
          };
        } else if (contentType === 'text/csv' || contentType === XLSX_MIME) {
          const query = c.req.valid('query');
          if (!query.kind) {
            throw new ProblemError(422, 'Say which roster the file is with ?kind=.', {
              errors: [{ path: 'query.kind', message: 'required when the body is the file' }],
            });
          }
          const body = c.req.raw.body;
          if (!body) throw new ProblemError(422, 'The request has no body: send the file as the body.');
          const id = randomUUID();
          const format = contentType === XLSX_MIME ? 'xlsx' : 'csv';
          const key = `${uploadPrefix(config, organizationId)}${query.kind}/${id}/upload.${format}`;
          const { etag } = await streamBodyToS3(s3, body, {
            bucket: config.AWS_S3_BUCKET_NAME,
            key,
            contentType,
          });
          input = {
            id,
            organizationId,
            kind: query.kind,
            bucket: config.AWS_S3_BUCKET_NAME,
            key,
            etag,
            format,
            mode: query.mode,
            dryRun: query.dryRun,
            force: query.force,
            createdBy: c.var.user.id,
          };
        } else {
          throw new ProblemError(
            415,
            `Send the roster as text/csv or ${XLSX_MIME}, or JSON {kind, s3Key} for an uploaded object.`,
          );
        }
        const { row } = await startRosterImport(deps, input);
        return c.json(accepted(row), 202);
      },
    )
    .openapi(
      orgRoute('admin', {
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
      async (c) => {
        const { limit, cursor } = c.req.valid('query');
        const after = decodeCursor(cursor, ['timestamp', 'uuid']);
        const rows = await sequelize.query<RosterImportRow & { cursor_at: string }>(
          `SELECT *, created_at::text AS cursor_at FROM roster_imports WHERE organization_id = $1
           ${after ? 'AND (created_at, id) < ($3::timestamptz, $4::uuid)' : ''}
           ORDER BY created_at DESC, id DESC LIMIT $2`,
          {
            bind: [c.var.organization.id, limit + 1, ...(after ?? [])],
            type: QueryTypes.SELECT,
          },
        );
        const result = page(rows, limit, (row) => [row.cursor_at, row.id]);
        return c.json({ items: result.items.map(importJson), nextCursor: result.nextCursor }, 200);
      },
    )
    .openapi(
      orgRoute('admin', {
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
      async (c) => {
        const row = await requireImport(sequelize, c.var.organization.id, c.req.valid('param').id);
        return c.json(importJson(row), 200);
      },
    )
    .openapi(
      orgRoute('admin', {
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
      async (c) => {
        const { id } = c.req.valid('param');
        const { limit, cursor } = c.req.valid('query');
        await requireImport(sequelize, c.var.organization.id, id);
        const after = decodeCursor(cursor, ['integer', 'uuid']);
        const rows = await errorPage(sequelize, id, limit + 1, after);
        const result = page(rows, limit, (row) => [row.row_number, row.id]);
        return c.json(
          {
            items: result.items.map((row) => ({
              rowNumber: row.row_number,
              column: row.column,
              code: row.code,
              message: row.message,
              value: row.value,
            })),
            nextCursor: result.nextCursor,
          },
          200,
        );
      },
    )
    .openapi(
      orgRoute('admin', {
        method: 'get',
        path: '/v1/organizations/{orgId}/imports/{id}/errors.csv',
        tags: ['imports'],
        summary: 'Rejected rows as CSV (cells starting with = + - @ are neutralized)',
        request: { params: ImportParams },
        responses: {
          200: { description: 'CSV', content: { 'text/csv': { schema: z.string() } } },
        },
      }),
      async (c) => {
        const { id } = c.req.valid('param');
        await requireImport(sequelize, c.var.organization.id, id);
        const cell = (value: string | number | null) =>
          `"${neutralizeCsvCell(value === null ? '' : String(value)).replaceAll('"', '""')}"`;
        let after: [number, string] | undefined;
        let headerSent = false;
        const stream = new ReadableStream<string>({
          async pull(controller) {
            if (!headerSent) {
              headerSent = true;
              controller.enqueue('row_number,column,code,message,value\r\n');
            }
            const rows = await errorPage(sequelize, id, CSV_ERRORS_PAGE, after);
            for (const row of rows) {
              controller.enqueue(
                `${[row.row_number, row.column, row.code, row.message, row.value].map(cell).join(',')}\r\n`,
              );
            }
            const last = rows.at(-1);
            if (rows.length < CSV_ERRORS_PAGE || !last) controller.close();
            else after = [last.row_number, last.id];
          },
        });
        return c.body(stream.pipeThrough(new TextEncoderStream()), 200, {
          'Content-Type': 'text/csv; charset=utf-8',
          'Content-Disposition': `attachment; filename="import-${id}-errors.csv"`,
        });
      },
    )
    .openapi(
      orgRoute('admin', {
        method: 'post',
        path: '/v1/organizations/{orgId}/imports/{id}/cancel',
        tags: ['imports'],
        summary: 'Stop the import between batches; what was committed stays and is reported',
        request: { params: ImportParams },
        responses: {
          202: jsonResponse(Accepted, 'Cancellation requested'),
          409: problems[409],
        },
      }),
      async (c) => {
        const { id } = c.req.valid('param');
        const current = await requireImport(sequelize, c.var.organization.id, id);
        const rows = await sequelize.query<RosterImportRow>(
          `UPDATE roster_imports SET cancel_requested_at = coalesce(cancel_requested_at, now()), updated_at = now()
           WHERE id = $1 AND status IN ('queued','running') RETURNING *`,
          { bind: [id], type: QueryTypes.SELECT },
        );
        const row = rows[0];
        if (!row)
          throw new ProblemError(
            409,
            `Import ${id} has already ${current.status === 'cancelled' ? 'been cancelled' : current.status}.`,
          );
        await recordAudit(sequelize, {
          actorUserId: c.var.user.id,
          action: 'roster_import.cancel_requested',
          entityType: 'roster_import',
          entityId: id,
          organizationId: row.organization_id,
        });
        return c.json(accepted(row), 202);
      },
    );
}

interface ErrorRow {
  id: string;
  row_number: number;
  column: string | null;
  code: string;
  message: string;
  value: string | null;
}

function errorPage(
  sequelize: Sequelize,
  importId: string,
  limit: number,
  after: [number, string] | undefined,
) {
  return sequelize.query<ErrorRow>(
    `SELECT id, row_number, "column", code, message, value FROM roster_import_errors WHERE import_id = $1
     ${after ? 'AND (row_number, id) > ($3::int, $4::uuid)' : ''}
     ORDER BY row_number, id LIMIT $2`,
    { bind: [importId, limit, ...(after ?? [])], type: QueryTypes.SELECT },
  );
}
