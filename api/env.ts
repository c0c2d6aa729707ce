import { OpenAPIHono } from '@hono/zod-openapi';
import type { Client } from '@temporalio/client';
import { createMiddleware } from 'hono/factory';
import type { Registry } from 'prom-client';
import type { Sequelize } from 'sequelize';
import type { Config } from '../lib/config';
import type { Logger } from '../lib/logger';
import type { LiveEventHub } from '../services/live-events';
import { malformedCursor } from './paging';
import { INVALID_REQUEST, problemResponse, zodFieldErrors } from './problem';

export interface AuthUser {
  id: string;
  email: string;
  platformAdmin: boolean;
  /** The session of the request's access token (docs/spec.md §11). */
  sessionId: string;
}

export interface AppDeps {
  config: Config;
  sequelize: Sequelize;
  temporal: Client;
  logger: Logger;
  /** Where /metrics reads from; the server adds process metrics to it. Tests get a fresh one. */
  metricsRegistry?: Registry;
  /** The replica's live event hub (services/live-events.ts); one is created when absent. */
  liveEvents?: LiveEventHub;
}

export type AppEnv = {
  Variables: {
    requestId: string;
    logger: Logger;
    user: AuthUser;
    /** The pool the app was created with (set for every request), for the access checks. */
    db: Sequelize;
  };
};

/** The path of the first string (key or value) in `value` that holds U+0000, if any. */
function nulCharacterPath(value: unknown, path: string[] = []): string[] | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path : undefined;
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [key, item] of Object.entries(value)) {
    if (key.includes('\u0000')) return [...path, key];
    const found = nulCharacterPath(item, [...path, key]);
    if (found) return found;
  }
  return undefined;
}

/**
 * Every router shares the validation hook, so any invalid input answers 422 problem+json naming the
 * field. That includes a string holding U+0000, which no schema forbids but Postgres text cannot
 * store: refused here for every field of every route rather than failing as a statement.
 */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      const prefix = result.target === 'json' ? undefined : result.target;
      if (!result.success) {
        return problemResponse(c, 422, INVALID_REQUEST, {
          errors: zodFieldErrors(result.error, prefix),
        });
      }
      const nulAt = nulCharacterPath(result.data);
      if (!nulAt) return;
      if (result.target === 'query' && nulAt[0] === 'cursor') throw malformedCursor();
      const path = [prefix, ...nulAt].filter(Boolean).join('.') || '(body)';
      return problemResponse(c, 422, INVALID_REQUEST, {
        errors: [
          { path, message: `${path} contains a NUL character (U+0000), which cannot be stored; remove it.` },
        ],
      });
    },
  });
}

/** Hands every request the app's pool (`c.var.db`), which the access checks read. */
export function provideDatabase(sequelize: Sequelize) {
  return createMiddleware<AppEnv>((c, next) => {
    c.set('db', sequelize);
    return next();
  });
}
