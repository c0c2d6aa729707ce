import { findLastCheck, findLastImport } from '../../../db/exclusion-list-store';
import { pingDatabase } from '../../../db/health-store';
import { workflowOutboxBacklog } from '../../../db/workflow-outbox-store';
import { type ListState, listState, listStateWarning } from '../../../domain/list-state';
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

export function healthRoutes({ config, sequelize, temporal }: AppDeps) {
  const leieState = async (): Promise<ListState> => {
    const [lastCheck, lastImport] = await Promise.all([findLastCheck(sequelize), findLastImport(sequelize)]);
    return listState(
      {
        lastCheck: lastCheck && { status: lastCheck.status, checkedAt: new Date(lastCheck.checked_at) },
        lastImport: lastImport && { checkedAt: new Date(lastImport.checked_at) },
      },
      new Date(),
      config.EXCLUSION_SOURCE_STALE_AFTER,
    );
  };
  return createRouter()
    .openapi(routes.health, (c) => c.json({ status: 'ok' as const }, 200))
    .openapi(routes.ready, async (c) => {
      const [postgres, temporalCheck] = await Promise.all([
        probe(() => pingDatabase(sequelize)),
        probe(() => temporal.workflowService.getSystemInfo({})),
      ]);
      const ok = postgres.ok && temporalCheck.ok;
      // A missing or old list does not make the process unready, but it makes every "clear" doubtful.
      const [state, outbox] = postgres.ok
        ? await Promise.all([
            leieState().catch(() => null),
            workflowOutboxBacklog(sequelize).catch(() => null),
          ])
        : [null, null];
      const warning = state ? listStateWarning(state) : null;
      const body = {
        status: ok ? ('ready' as const) : ('unavailable' as const),
        checks: { postgres, temporal: temporalCheck },
        ...(state ? { lists: { leie: { state } } } : {}),
        ...(outbox ? { outbox } : {}),
        warnings: warning ? [`leie: ${warning}`] : [],
      };
      return ok ? c.json(body, 200) : c.json(body, 503);
    });
}
