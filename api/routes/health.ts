import { createRoute, z } from '@hono/zod-openapi';
import { type AppDeps, createRouter } from '../env';
import { jsonResponse } from '../schemas';

const ReadySchema = z
  .object({
    status: z.enum(['ready', 'unavailable']),
    checks: z.object({
      postgres: z.object({ ok: z.boolean(), error: z.string().optional() }),
      temporal: z.object({ ok: z.boolean(), error: z.string().optional() }),
    }),
  })
  .openapi('Readiness');

const PROBE_TIMEOUT_MS = 2_000;

async function probe(check: () => Promise<unknown>): Promise<{ ok: boolean; error?: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)), PROBE_TIMEOUT_MS);
  });
  try {
    await Promise.race([check(), timeout]);
    return { ok: true };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

export function healthRoutes({ sequelize, temporal }: AppDeps) {
  return createRouter()
    .openapi(
      createRoute({
        method: 'get',
        path: '/health',
        tags: ['ops'],
        summary: 'Liveness: the process answers; no dependency is checked',
        responses: { 200: jsonResponse(z.object({ status: z.literal('ok') }), 'Alive') },
      }),
      (c) => c.json({ status: 'ok' as const }, 200),
    )
    .openapi(
      createRoute({
        method: 'get',
        path: '/ready',
        tags: ['ops'],
        summary: 'Readiness: Postgres and Temporal both answer',
        responses: {
          200: jsonResponse(ReadySchema, 'Every dependency answers'),
          503: jsonResponse(ReadySchema, 'At least one dependency does not answer; `checks` says which'),
        },
      }),
      async (c) => {
        const [postgres, temporalCheck] = await Promise.all([
          probe(() => sequelize.query('SELECT 1')),
          probe(() => temporal.workflowService.getSystemInfo({})),
        ]);
        const ok = postgres.ok && temporalCheck.ok;
        const body = {
          status: ok ? ('ready' as const) : ('unavailable' as const),
          checks: { postgres, temporal: temporalCheck },
        };
        return ok ? c.json(body, 200) : c.json(body, 503);
      },
    );
}
