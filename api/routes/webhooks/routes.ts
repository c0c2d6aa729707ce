import { createRoute, z } from '@hono/zod-openapi';
import { acceptedResponse, ResourceLinks } from '../../accepted';
import { problems } from '../../schemas';

/** The S3 webhook's contract (handlers.ts implements it). */

/** S3 URL-encodes the keys in its events; a key that does not decode was not sent by S3. */
function isUrlEncoded(key: string): boolean {
  try {
    decodeURIComponent(key);
    return true;
  } catch {
    return false;
  }
}

const S3EventSchema = z
  .object({
    Records: z
      .array(
        z.object({
          eventName: z.string(),
          s3: z.object({
            bucket: z.object({ name: z.string() }),
            object: z.object({
              key: z.string().refine(isUrlEncoded, 'not a URL-encoded object key'),
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

export const ResultSchema = z
  .object({
    imports: z.array(
      z.object({
        id: z.uuid(),
        organizationId: z.uuid(),
        workflowId: z.string(),
        key: z.string(),
        created: z.boolean(),
        links: ResourceLinks,
      }),
    ),
    ignored: z.array(z.object({ key: z.string(), reason: z.string() })),
  })
  .openapi('S3WebhookResult');

export const s3WebhookRoute = createRoute({
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
    202: acceptedResponse(
      ResultSchema,
      'Imports started (or found, for a redelivered event); Location names the first (S3 sends one record per event)',
    ),
    401: problems[401],
    422: problems[422],
  },
});
