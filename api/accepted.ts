import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { Config } from '../lib/config';
import { temporalUiLink } from '../lib/temporal';

/** Where a resource is and where its workflow can be watched (docs/spec.md §5). */
export const ResourceLinks = z.object({
  self: z.string(),
  temporalUi: z.url().openapi({ description: "The workflow's page in the Temporal Web UI" }),
});

/** The fields every 202 adds to the resource (docs/spec.md §5). */
export const AcceptedFields = {
  workflowId: z.string(),
  links: ResourceLinks,
};

/** A 202's documented response: the accepted body and the Location of the resource to poll. */
export function acceptedResponse<T extends z.ZodType>(schema: T, description: string) {
  return {
    description,
    headers: {
      Location: {
        description: 'The resource to GET for status and progress (the same as `links.self`)',
        schema: { type: 'string' as const },
      },
    },
    content: { 'application/json': { schema } },
  };
}

type LinkConfig = Pick<Config, 'TEMPORAL_UI_URL' | 'TEMPORAL_NAMESPACE'>;

/** `self` and the Temporal UI page of `workflowId`, for a resource a workflow works on. */
export function resourceLinks(config: LinkConfig, selfPath: string, workflowId: string) {
  return { self: selfPath, temporalUi: temporalUiLink(config, workflowId) };
}

/** Shapes a 202 body: the resource's fields plus `workflowId` and links to it and to its workflow. */
export function acceptedBody<T extends object>(
  config: LinkConfig,
  resource: T,
  workflowId: string,
  selfPath: string,
) {
  const own = 'links' in resource && typeof resource.links === 'object' ? resource.links : {};
  return {
    ...resource,
    workflowId,
    links: { ...own, ...resourceLinks(config, selfPath, workflowId) },
  };
}

/** Every 202 is built here: the body of `acceptedBody` and `Location: links.self`. */
export function accepted<T extends { links: { self: string } }>(c: Context, body: T) {
  return c.json(body, 202, { Location: body.links.self });
}

/** A 202 that started several workflows (an S3 event): `Location` names the first, when there is one. */
export function acceptedBatch<T extends object>(c: Context, body: T, first: string | undefined) {
  return c.json(body, 202, first ? { Location: first } : {});
}
