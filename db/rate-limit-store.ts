import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import type { Sequelize } from 'sequelize';

/**
 * The `rate_limits` table (migration 1400): counters shared by every API replica (docs/spec.md §11),
 * kept by rate-limiter-flexible, whose statements (an upsert per count, a read, a delete, a periodic
 * sweep of expired rows) are all issued through the limiters made here. Nothing else touches it.
 */

export { RateLimiterRes };

export interface LimitRule {
  /** Distinguishes this rule's keys from the others' in the one table. */
  name: string;
  /** Points allowed per window. */
  points: number;
  windowSeconds: number;
}

export type RateLimiter = RateLimiterPostgres;

/**
 * A limiter counting in Postgres. Should Postgres fail, it counts in this process's memory instead
 * (rate-limiter-flexible's insurance limiter) rather than refusing or waving everything through.
 */
export function createRateLimiter(
  sequelize: Sequelize,
  rule: LimitRule,
  options: { sweepExpired?: boolean } = {},
): RateLimiter {
  return new RateLimiterPostgres({
    storeClient: sequelize,
    storeType: 'sequelize',
    tableName: 'rate_limits',
    tableCreated: true,
    // Rows of windows that ended an hour ago are deleted every five minutes; one limiter per app
    // is enough to do it.
    clearExpiredByTimeout: options.sweepExpired ?? false,
    keyPrefix: rule.name,
    points: rule.points,
    duration: rule.windowSeconds,
    insuranceLimiter: new RateLimiterMemory({
      keyPrefix: rule.name,
      points: rule.points,
      duration: rule.windowSeconds,
    }),
  });
}
