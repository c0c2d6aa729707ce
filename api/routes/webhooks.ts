import { timingSafeEqual } from 'node:crypto';
import { createRoute, z } from '@hono/zod-openapi';
import { QueryTypes } from 'sequelize';
import type { RosterKind } from '../../lib/workflow-contracts';
import { type AppDeps, createRouter } from '../env';
import { ProblemError } from '../problem';
import { jsonResponse, problems } from '../schemas';
import { dropPrefix, formatOfKey, s3EventImportId, startRosterImport } from './imports';

const S3EventSchema = z
  .object({
    Records: z
      .array(
        z.object({
          eventName: z.string(),
          s3: z.object({
            bucket: z.object({ name: z.string() }),
            object: z.object({
              key: z.string(),
              eTag: z.string().optional(),
              sequencer: z.string().optional(),
            }),
          }),
        }),
      )
      .max(1000)
      .optional(),
  })
  .passthrough()
  .openapi('S3EventNotification');

const ResultSchema = z
  .object({
    imports: z.array(
      z.object({ id: z.uuid(), workflowId: z.string(), key: z.string(), created: z.boolean() }),
    ),
    ignored: z.array(z.object({ key: z.string(), reason: z.string() })),
  })
  .openapi('S3WebhookResult');

const DROP_KEY =
  /^(employees|caregivers|patients)-list\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/.+/i;

function sameSecret(given: string | undefined, expected: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * S3 event notifications for roster drops (`<prefix><kind>-list/<orgId>/…`). The import id is derived
 * from bucket + key + ETag, so a redelivered event finds its import and starts nothing new.
 */
export function webhookRoutes({ config, sequelize, temporal }: AppDeps) {
  const prefix = dropPrefix(config, 'employees', '00000000-0000-0000-0000-000000000000').replace(
    /employees-list\/[^/]+\/$/,
    '',
  );
  return createRouter().openapi(
    createRoute({
      method: 'post',
      path: '/v1/webhooks/s3',
      tags: ['webhooks'],
      summary:
        'S3 event notifications: roster files dropped under <kind>-list/<orgId>/ are imported (mode=replace)',
      request: {
        headers: z.object({ 'x-webhook-secret': z.string().optional() }),
        body: { required: true, content: { 'application/json': { schema: S3EventSchema } } },
      },
      responses: {
        202: jsonResponse(ResultSchema, 'Imports started (or found, for a redelivered event)'),
        401: problems[401],
        422: problems[422],
      },
    }),
    async (c) => {
      if (!sameSecret(c.req.header('x-webhook-secret'), config.WEBHOOK_SECRET)) {
        throw new ProblemError(401, 'Send the shared secret in X-Webhook-Secret.');
      }
      const imports: z.infer<typeof ResultSchema>['imports'] = [];
      const ignored: z.infer<typeof ResultSchema>['ignored'] = [];
      for (const record of c.req.valid('json').Records ?? []) {
        // S3 URL-encodes keys in events, with + for spaces.
        const key = decodeURIComponent(record.s3.object.key.replace(/\+/g, ' '));
        const bucket = record.s3.bucket.name;
        const ignore = (reason: string) => ignored.push({ key, reason });
        if (!record.eventName.startsWith('ObjectCreated:')) {
          ignore(`event ${record.eventName} is not an object creation`);
          continue;
        }
        if (bucket !== config.AWS_S3_BUCKET_NAME) {
          ignore(`bucket ${bucket} is not the uploads bucket`);
          continue;
        }
        const match = key.startsWith(prefix) ? DROP_KEY.exec(key.slice(prefix.length)) : null;
        if (!match || key.endsWith('/')) {
          ignore('not under <kind>-list/<organizationId>/');
          continue;
        }
        const kind = (match[1] as string).toLowerCase() as RosterKind;
        const organizationId = (match[2] as string).toLowerCase();
        const [organization] = await sequelize.query<{ id: string }>(
          "SELECT id FROM organizations WHERE id = $1 AND status <> 'deleted'",
          { bind: [organizationId], type: QueryTypes.SELECT },
        );
        if (!organization) {
          ignore(`organization ${organizationId} does not exist`);
          continue;
        }
        const version = record.s3.object.eTag ?? record.s3.object.sequencer ?? '';
        const { row, created } = await startRosterImport(
          { config, sequelize, temporal },
          {
            id: s3EventImportId(bucket, key, version),
            organizationId,
            kind,
            bucket,
            key,
            etag: record.s3.object.eTag ? `"${record.s3.object.eTag.replaceAll('"', '')}"` : null,
            format: formatOfKey(key),
            mode: 'replace',
            dryRun: false,
            force: false,
            createdBy: null,
          },
        );
        imports.push({ id: row.id, workflowId: row.workflow_id ?? '', key, created });
      }
      return c.json({ imports, ignored }, 202);
    },
  );
}
