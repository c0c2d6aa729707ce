import { z } from '@hono/zod-openapi';
import type { Config } from '../lib/config';
import { temporalUiLink } from '../lib/temporal';

/** The fields every 202 adds to the resource (docs/spec.md §5). */
export const AcceptedFields = {
  workflowId: z.string(),
  links: z.object({ self: z.string(), temporalUi: z.url() }),
};

/** Shapes a 202 body: the resource's fields plus `workflowId` and links to it and to its workflow. */
export function acceptedBody<T extends object>(
  config: Pick<Config, 'TEMPORAL_UI_URL' | 'TEMPORAL_NAMESPACE'>,
  resource: T,
  workflowId: string,
  selfPath: string,
) {
  return {
    ...resource,
    workflowId,
    links: { self: selfPath, temporalUi: temporalUiLink(config, workflowId) },
  };
}
