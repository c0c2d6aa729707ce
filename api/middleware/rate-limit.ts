import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { Sequelize } from 'sequelize';
import { createRateLimiter, type RateLimiter, RateLimiterRes } from '../../db/rate-limit-store';
import type { Config } from '../../lib/config';
import type { Logger } from '../../lib/logger';
import { verifyAccessToken } from '../../lib/tokens';
import type { AppEnv } from '../env';
import { ProblemError } from '../problem';
import { clientIp } from './client-ip';
import { WriteBehindLimiter } from './write-behind-limiter';

/** The `RateLimit-*` headers (IETF draft) of one limiter's answer. */
export function rateLimitHeaders(
  limit: number,
  res: Pick<RateLimiterRes, 'remainingPoints' | 'msBeforeNext'>,
): Record<string, string> {
  return {
    'RateLimit-Limit': String(limit),
    'RateLimit-Remaining': String(Math.max(0, res.remainingPoints)),
    'RateLimit-Reset': String(Math.max(0, Math.ceil(res.msBeforeNext / 1000))),
  };
}

/** 429 problem with `Retry-After` and the `RateLimit-*` headers (docs/spec.md §11). */
export function tooManyRequests(
  limit: number,
  res: Pick<RateLimiterRes, 'msBeforeNext'>,
  what: string,
): ProblemError {
  const wait = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
  return new ProblemError(429, `${what}; try again in ${wait} seconds.`, {
    headers: {
      ...rateLimitHeaders(limit, { remainingPoints: 0, msBeforeNext: wait * 1000 }),
      'Retry-After': String(wait),
    },
  });
}

/** Spends one point; the answer whether over the limit or not (store failures fall back to memory). */
export async function spend(
  limiter: RateLimiter,
  key: string,
): Promise<{ allowed: boolean; res: RateLimiterRes }> {
  try {
    return { allowed: true, res: await limiter.consume(key) };
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) return { allowed: false, res: rejection };
    throw rejection;
  }
}

/** The signed-in user of a valid bearer token, if any (the session is checked later, by the route). */
async function tokenUser(c: Context, secret: string): Promise<string | undefined> {
  const match = c.req.header('authorization')?.match(/^Bearer\s+(\S+)$/i);
  if (!match?.[1]) return undefined;
  try {
    return (await verifyAccessToken(match[1], secret)).userId;
  } catch {
    return undefined;
  }
}

/** Routes with a narrower limit of their own (api/middleware/login-throttle.ts). */
const NARROWER = /^\/v1\/auth\/(login|password-reset)$/;

/** Webhooks authenticate with their own secret and come from the provider's few addresses. */
const EXEMPT = /^\/v1\/webhooks\//;

/**
 * Rate limits shared by every replica (docs/spec.md §11): a request with a valid access token
 * counts against its user (`RATE_LIMIT_USER_PER_MINUTE`), any other against its client IP
 * (`RATE_LIMIT_ANON_PER_MINUTE`). Every answer carries `RateLimit-Limit/Remaining/Reset`; over
 * the limit it is 429 with `Retry-After`.
 */
export function requestRateLimit(
  sequelize: Sequelize,
  config: Pick<
    Config,
    'AUTH_JWT_SECRET' | 'RATE_LIMIT_ANON_PER_MINUTE' | 'RATE_LIMIT_USER_PER_MINUTE' | 'TRUST_PROXY_HOPS'
  >,
  logger?: Logger,
) {
  const onError = (error: unknown) => logger?.warn({ err: error }, 'rate limit: could not count a request');
  const limiter = (name: string, points: number, sweepExpired = false) =>
    new WriteBehindLimiter(
      createRateLimiter(sequelize, { name, points, windowSeconds: 60 }, { sweepExpired }),
      points,
      60_000,
      onError,
    );
  const anonymous = limiter('anon', config.RATE_LIMIT_ANON_PER_MINUTE, true);
  const perUser = limiter('user', config.RATE_LIMIT_USER_PER_MINUTE);
  return createMiddleware<AppEnv>(async (c, next) => {
    if (EXEMPT.test(c.req.path)) return next();
    const userId = await tokenUser(c, config.AUTH_JWT_SECRET);
    const counter = userId ? perUser : anonymous;
    const decision = await counter.hit(userId ?? clientIp(c, config.TRUST_PROXY_HOPS));
    if (!decision.allowed) {
      throw tooManyRequests(
        counter.points,
        decision,
        userId ? 'Too many requests for this user' : 'Too many requests from this address',
      );
    }
    const headers = rateLimitHeaders(counter.points, {
      remainingPoints: decision.remaining,
      msBeforeNext: decision.msBeforeNext,
    });
    if (!NARROWER.test(c.req.path)) {
      // Set before the response exists: headers added to a finished response make the Node
      // adapter build a second one, a visible share of a fast request's cost.
      for (const [name, value] of Object.entries(headers)) c.header(name, value);
      return next();
    }
    await next();
    // A narrower limit that answered 429 keeps its own headers.
    if (c.res.headers.has('RateLimit-Limit')) return;
    for (const [name, value] of Object.entries(headers)) c.header(name, value);
  });
}
