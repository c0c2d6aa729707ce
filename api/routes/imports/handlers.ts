import { randomUUID } from 'node:crypto';
import type { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import {
  type RosterImportRow,
  rosterImportCounts,
  rosterImportErrorPage,
  rosterImportPage,
} from '../../../db/roster-import-store';
import { uploadPrefix } from '../../../domain/roster-object-keys';
import { createS3Client } from '../../../lib/aws';
import type { Config } from '../../../lib/config';
import { rosterImportWorkflowId } from '../../../lib/workflow-contracts';
import {
  cancelRosterImport,
  organizationRosterImport,
  rosterImportErrorsCsv,
  rosterUploadUrl,
  startRosterImport,
  startRosterImportOfKey,
} from '../../../services/roster-imports';
import { accepted, acceptedBody, resourceLinks } from '../../accepted';
import { type AppDeps, createRouter } from '../../env';
import { unsupportedMediaType } from '../../media-types';
import { answerIdempotently, idempotencyKeyOf, requestFingerprint } from '../../middleware/idempotency';
import { orgRouteFor } from '../../org-route';
import { decodeCursor, page } from '../../paging';
import {
  IMPORT_MEDIA_TYPES,
  invalidUpload,
  mediaTypeOf,
  nonEmptyBody,
  reportEveryImportError,
} from './request-checks';
import { type ImportJsonSchema, type ImportSchema, importRouteDefinitions, XLSX_MIME } from './routes';
import { deleteUpload, streamBodyToS3 } from './upload';

const iso = (value: Date | null) => (value ? new Date(value).toISOString() : null);
const importPath = (row: RosterImportRow) => `/v1/organizations/${row.organization_id}/imports/${row.id}`;
const workflowOf = (row: RosterImportRow) => row.workflow_id ?? rosterImportWorkflowId(row.id);

export function importJson(
  row: RosterImportRow,
  config: Pick<Config, 'TEMPORAL_UI_URL' | 'TEMPORAL_NAMESPACE'>,
): z.infer<typeof ImportSchema> {
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
    counts: rosterImportCounts(row),
    unknownColumns: row.unknown_columns,
    workflowId: row.workflow_id,
    failureReason: row.failure_reason,
    cancelRequestedAt: iso(row.cancel_requested_at),
    startedAt: iso(row.started_at),
    finishedAt: iso(row.finished_at),
    createdAt: iso(row.created_at) as string,
    updatedAt: iso(row.updated_at) as string,
    links: {
      ...resourceLinks(config, importPath(row), workflowOf(row)),
      errors: `${importPath(row)}/errors`,
    },
  };
}

export function importRoutes({ config, sequelize, temporal }: AppDeps) {
  const routes = importRouteDefinitions(orgRouteFor(config.AUTH_JWT_SECRET));
  const s3 = createS3Client(config);
  const deps = { config, sequelize, temporal };
  const acceptedImport = (c: Context, row: RosterImportRow) =>
    accepted(c, acceptedBody(config, importJson(row, config), workflowOf(row), importPath(row)));

  return createRouter()
    .openapi(routes.uploadUrl, async (c) => {
      const { kind, filename } = c.req.valid('json');
      const upload = await rosterUploadUrl(
        { config },
        { organizationId: c.var.organization.id, kind, filename },
      );
      return c.json(upload, 200);
    })
    .openapi(
      routes.startImport,
      async (c) => {
        const organizationId = c.var.organization.id;
        const contentType = mediaTypeOf(c);
        if (contentType === 'application/json') {
          const body = c.req.valid('json') as z.infer<typeof ImportJsonSchema>;
          const { row } = await startRosterImportOfKey(deps, {
            organizationId,
            ...body,
            createdBy: c.var.user.id,
          });
          return acceptedImport(c, row);
        }
        if (contentType !== 'text/csv' && contentType !== XLSX_MIME) {
          throw unsupportedMediaType(c, IMPORT_MEDIA_TYPES);
        }
        const query = c.req.valid('query');
        const body = await nonEmptyBody(c.req.raw.body);
        if (!query.kind || !body) throw invalidUpload(query.kind, body);
        const id = randomUUID();
        const format = contentType === XLSX_MIME ? 'xlsx' : 'csv';
        const key = `${uploadPrefix(config, organizationId)}${query.kind}/${id}/upload.${format}`;
        const { etag, sha256 } = await streamBodyToS3(s3, body, {
          bucket: config.AWS_S3_BUCKET_NAME,
          key,
          contentType,
        });
        const kind = query.kind;
        let started = false;
        const start = async () => {
          started = true;
          const { row } = await startRosterImport(deps, {
            id,
            organizationId,
            kind,
            bucket: config.AWS_S3_BUCKET_NAME,
            key,
            etag,
            format,
            mode: query.mode,
            dryRun: query.dryRun,
            force: query.force,
            createdBy: c.var.user.id,
          });
          return acceptedImport(c, row);
        };
        const idempotencyKey = idempotencyKeyOf(c);
        if (idempotencyKey === undefined) return start();
        // The file is fingerprinted by the sha256 taken while it streamed (docs/spec.md §12).
        const fingerprint = requestFingerprint(c).update(sha256).digest('hex');
        const answer = await answerIdempotently(c, idempotencyKey, fingerprint, start);
        // A repeat (or a refused key) starts nothing: the copy it uploaded is not kept.
        if (!started) await deleteUpload(s3, { bucket: config.AWS_S3_BUCKET_NAME, key });
        return answer;
      },
      reportEveryImportError,
    )
    .openapi(routes.listImports, async (c) => {
      const { limit, cursor } = c.req.valid('query');
      const after = decodeCursor(cursor, ['timestamp', 'uuid']);
      const rows = await rosterImportPage(sequelize, c.var.organization.id, limit + 1, after);
      const result = page(rows, limit, (row) => [row.cursor_at, row.id]);
      return c.json(
        { items: result.items.map((row) => importJson(row, config)), nextCursor: result.nextCursor },
        200,
      );
    })
    .openapi(routes.getImport, async (c) => {
      const row = await organizationRosterImport(sequelize, c.var.organization.id, c.req.valid('param').id);
      return c.json(importJson(row, config), 200);
    })
    .openapi(routes.importErrors, async (c) => {
      const { id } = c.req.valid('param');
      const { limit, cursor } = c.req.valid('query');
      await organizationRosterImport(sequelize, c.var.organization.id, id);
      const after = decodeCursor(cursor, ['integer', 'uuid']);
      const rows = await rosterImportErrorPage(sequelize, id, limit + 1, after);
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
    })
    .openapi(routes.importErrorsCsv, async (c) => {
      const { id } = c.req.valid('param');
      const stream = await rosterImportErrorsCsv(sequelize, c.var.organization.id, id);
      return c.body(stream.pipeThrough(new TextEncoderStream()), 200, {
        'Content-Type': 'text/csv; charset=utf-8',
        'Content-Disposition': `attachment; filename="import-${id}-errors.csv"`,
      });
    })
    .openapi(routes.cancelImport, async (c) => {
      const row = await cancelRosterImport(deps, {
        organizationId: c.var.organization.id,
        id: c.req.valid('param').id,
        actorUserId: c.var.user.id,
      });
      return acceptedImport(c, row);
    });
}
