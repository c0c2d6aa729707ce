import { OpenAPIHono } from '@hono/zod-openapi';
import type { Client } from '@temporalio/client';
import { createMiddleware } from 'hono/factory';
import type { Registry } from 'prom-client';
import type { Sequelize } from 'sequelize';
import type { Config } from '../lib/config';
import type { Logger } from '../lib/logger';
import { INVALID_REQUEST, problemResponse, zodFieldErrors } from './problem';

export interface AuthUser {
  id: string;
  email: string;
  platformAdmin: boolean;
}

export interface AppDeps {
  config: Config;
  sequelize: Sequelize;
  temporal: Client;
  logger: Logger;
  /** Where /metrics reads from; the server adds process metrics to it. Tests get a fresh one. */
  metricsRegistry?: Registry;
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

/** Every router shares the validation hook, so any invalid input answers 422 problem+json naming the field. */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (result.success) return;
      return problemResponse(c, 422, INVALID_REQUEST, {
        errors: zodFieldErrors(result.error, result.target === 'json' ? undefined : result.target),
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
