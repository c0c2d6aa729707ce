import { createRoute, z } from '@hono/zod-openapi';
import { jsonResponse } from '../../schemas';

const ReadySchema = z
  .object({
    status: z.enum(['ready', 'unavailable']),
    checks: z.object({
      postgres: z.object({ ok: z.boolean(), error: z.string().optional() }),
      temporal: z.object({ ok: z.boolean(), error: z.string().optional() }),
    }),
    lists: z
      .object({ leie: z.object({ state: z.enum(['never', 'fresh', 'stale', 'failed']) }) })
      .optional()
      .openapi({
        description:
          'Each exclusion list’s state (docs/spec.md §8), when Postgres answers; never a reason for 503',
      }),
    outbox: z
      .object({
        pending: z.number().int(),
        oldestSeconds: z.number().nullable(),
      })
      .optional()
      .openapi({
        description:
          'Workflow starts and signals recorded and not yet delivered to Temporal (docs/spec.md §12), when Postgres answers: `oldestSeconds` growing while Temporal answers means an intent Temporal refuses (the API log says why)',
      }),
    warnings: z.array(z.string()).openapi({
      description: 'What works but needs attention, e.g. no exclusion list loaded (screenings mean nothing)',
    }),
  })
  .openapi('Readiness');

/** The liveness and readiness routes: the contract their handlers (handlers.ts) implement. */
export const healthRouteDefinitions = {
  health: createRoute({
    method: 'get',
    path: '/health',
    tags: ['ops'],
    summary: 'Liveness: the process answers; no dependency is checked',
    responses: { 200: jsonResponse(z.object({ status: z.literal('ok') }), 'Alive') },
  }),
  ready: createRoute({
    method: 'get',
    path: '/ready',
    tags: ['ops'],
    summary: 'Readiness: Postgres and Temporal both answer',
    responses: {
      200: jsonResponse(ReadySchema, 'Every dependency answers'),
      503: jsonResponse(ReadySchema, 'At least one dependency does not answer; `checks` says which'),
    },
  }),
};
