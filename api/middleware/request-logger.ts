import { createMiddleware } from 'hono/factory';
import type { Logger } from '../../lib/logger';
import type { AppEnv } from '../env';

/** One log line per request with its id; never the body, the query string or the headers. */
export function requestLogger(logger: Logger) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const started = performance.now();
    const log = logger.child({ requestId: c.var.requestId });
    c.set('logger', log);
    await next();
    log.info(
      {
        method: c.req.method,
        route: c.req.routePath,
        status: c.res.status,
        durationMs: Math.round(performance.now() - started),
      },
      'request',
    );
  });
}
