import { createRoute, z } from '@hono/zod-openapi';
import { jsonResponse } from '../../schemas';

const HomeSchema = z
  .object({
    name: z.string(),
    next: z.string(),
    links: z.object({
      docs: z.string().openapi({ description: 'Swagger UI, served by this API (no network needed)' }),
      openapi: z.string(),
      login: z.string(),
      health: z.string(),
      ready: z.string(),
      temporalUi: z.url().openapi({ description: "Temporal's Web UI, where every workflow can be watched" }),
    }),
  })
  .openapi('Home');

/** The front door: where to read about the API and watch its work. */
export const homeRoute = createRoute({
  method: 'get',
  path: '/',
  tags: ['ops'],
  summary: 'Links to the docs, the OpenAPI document, the health endpoints and the Temporal UI',
  responses: { 200: jsonResponse(HomeSchema, 'Where to go next') },
});
