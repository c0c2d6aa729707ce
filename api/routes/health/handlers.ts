import { pingDatabase } from '../../../db/health-store';
import { type AppDeps, createRouter } from '../../env';
import { healthRouteDefinitions as routes } from './routes';

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
    .openapi(routes.health, (c) => c.json({ status: 'ok' as const }, 200))
    .openapi(routes.ready, async (c) => {
      const [postgres, temporalCheck] = await Promise.all([
        probe(() => pingDatabase(sequelize)),
        probe(() => temporal.workflowService.getSystemInfo({})),
      ]);
      const ok = postgres.ok && temporalCheck.ok;
      const body = {
        status: ok ? ('ready' as const) : ('unavailable' as const),
        checks: { postgres, temporal: temporalCheck },
      };
      return ok ? c.json(body, 200) : c.json(body, 503);
    });
}
