import { OpenAPIHono } from '@hono/zod-openapi';
import type { Client } from '@temporalio/client';
import type { Registry } from 'prom-client';
import type { Sequelize } from 'sequelize';
import type { Config } from '../lib/config';
import type { Logger } from '../lib/logger';
import { problemResponse, zodFieldErrors } from './problem';

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
  };
};

/** Every router shares the validation hook, so any invalid input answers 422 problem+json naming the field. */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (result.success) return;
      return problemResponse(c, 422, 'The request is not valid; see errors for each field.', {
        errors: zodFieldErrors(result.error, result.target === 'json' ? undefined : result.target),
      });
    },
  });
}
