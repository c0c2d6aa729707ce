import type { z } from '@hono/zod-openapi';
import { sameSecret } from '../../../lib/same-secret';
import { importRosterDrops } from '../../../services/roster-drops';
import { acceptedBatch, resourceLinks } from '../../accepted';
import { type AppDeps, createRouter } from '../../env';
import { ProblemError } from '../../problem';
import { type ResultSchema, s3WebhookRoute } from './routes';

/** S3 event notifications for roster drops (services/roster-drops.ts), behind a shared secret. */
export function webhookRoutes({ config, sequelize, temporal }: AppDeps) {
  return createRouter().openapi(s3WebhookRoute, async (c) => {
    if (!sameSecret(c.req.header('x-webhook-secret'), config.WEBHOOK_SECRET)) {
      throw new ProblemError(401, 'Send the shared secret in X-Webhook-Secret.');
    }
    const outcomes = await importRosterDrops(
      { config, sequelize, temporal },
      c.req.valid('json').Records ?? [],
    );
    const result: z.infer<typeof ResultSchema> = { imports: [], ignored: [] };
    for (const outcome of outcomes) {
      if ('import' in outcome) {
        const { organizationId, id, workflowId } = outcome.import;
        const self = `/v1/organizations/${organizationId}/imports/${id}`;
        result.imports.push({ ...outcome.import, links: resourceLinks(config, self, workflowId) });
      } else result.ignored.push(outcome.ignored);
    }
    return acceptedBatch(c, result, result.imports[0]?.links.self);
  });
}
