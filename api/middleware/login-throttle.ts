import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { Sequelize } from 'sequelize';
import { createRateLimiter, type RateLimiter, type RateLimiterRes } from '../../db/rate-limit-store';
import type { Config } from '../../lib/config';
import type { AppEnv } from '../env';
import { clientIp } from './client-ip';
import { spend, tooManyRequests } from './rate-limit';

async function emailOf(c: Context): Promise<string | undefined> {
  try {
    const body = await c.req.json();
    return typeof body?.email === 'string' ? body.email.trim().toLowerCase().slice(0, 320) : undefined;
  } catch {
    return undefined;
  }
}

interface Counted {
  limiter: RateLimiter;
  points: number;
  key: string;
}

/** The counter most over its limit, if any is at it. */
async function exhausted(counters: Counted[]): Promise<{ points: number; res: RateLimiterRes } | undefined> {
  let worst: { points: number; res: RateLimiterRes } | undefined;
  for (const { limiter, points, key } of counters) {
    const res = await limiter.get(key);
    if (res && res.consumedPoints >= points && res.msBeforeNext > (worst?.res.msBeforeNext ?? 0)) {
      worst = { points, res };
    }
  }
  return worst;
}

const LOGIN_WINDOW_SECONDS = 15 * 60;

/**
 * Throttles POST /v1/auth/login on failed attempts, counted in Postgres for every replica
 * (docs/spec.md §11): `RATE_LIMIT_LOGIN_FAILURES` for one email from one client address, six times
 * that from one client address for any emails, twenty times that for one email from everywhere —
 * within 15 minutes → 429 before the password is checked. Counting an email's failures per client
 * means a stranger's wrong passwords for `admin@…` do not lock the real admin out from their own
 * machine; the looser per-email ceiling still bounds a guess spread over many addresses. A
 * successful login clears that email's counter for that client.
 */
export function loginThrottle(
  sequelize: Sequelize,
  config: Pick<Config, 'RATE_LIMIT_LOGIN_FAILURES' | 'TRUST_PROXY_HOPS'>,
) {
  const failures = config.RATE_LIMIT_LOGIN_FAILURES;
  const rule = (name: string, points: number) =>
    createRateLimiter(sequelize, { name, points, windowSeconds: LOGIN_WINDOW_SECONDS });
  const pairLimit = failures;
  const clientLimit = failures * 6;
  const emailLimit = failures * 20;
  const byPair = rule('login-pair', pairLimit);
  const byClient = rule('login-client', clientLimit);
  const byEmail = rule('login-email', emailLimit);
  return createMiddleware<AppEnv>(async (c, next) => {
    if (c.req.method !== 'POST') return next();
    const email = await emailOf(c);
    const client = clientIp(c, config.TRUST_PROXY_HOPS);
    const counters: Counted[] = [{ limiter: byClient, points: clientLimit, key: client }];
    if (email) {
      counters.push(
        // A client address holds no `|`, so the first one splits the key unambiguously.
        { limiter: byPair, points: pairLimit, key: `${client}|${email}` },
        { limiter: byEmail, points: emailLimit, key: email },
      );
    }
    const over = await exhausted(counters);
    if (over) throw tooManyRequests(over.points, over.res, 'Too many failed logins');
    await next();
    if (c.res.status === 401) {
      await Promise.all(counters.map(({ limiter, key }) => limiter.penalty(key, 1)));
    } else if (c.res.status === 200 && email) {
      await byPair.delete(`${client}|${email}`);
    }
  });
}

/**
 * Throttles POST /v1/auth/password-reset per email (docs/spec.md §11): 5 requests an hour for one
 * email from one client address, 20 for one email from everywhere. Known and unknown addresses
 * count alike, so a 429 tells nothing about the account.
 */
export function passwordResetThrottle(sequelize: Sequelize, config: Pick<Config, 'TRUST_PROXY_HOPS'>) {
  const pairLimit = 5;
  const emailLimit = 20;
  const byPair = createRateLimiter(sequelize, { name: 'reset-pair', points: pairLimit, windowSeconds: 3600 });
  const byEmail = createRateLimiter(sequelize, {
    name: 'reset-email',
    points: emailLimit,
    windowSeconds: 3600,
  });
  return createMiddleware<AppEnv>(async (c, next) => {
    if (c.req.method !== 'POST') return next();
    const email = await emailOf(c);
    if (!email) return next();
    const client = clientIp(c, config.TRUST_PROXY_HOPS);
    for (const [limiter, points, key] of [
      [byPair, pairLimit, `${client}|${email}`],
      [byEmail, emailLimit, email],
    ] as const) {
      const { allowed, res } = await spend(limiter, key);
      if (!allowed) throw tooManyRequests(points, res, 'Too many password-reset requests for this address');
    }
    await next();
  });
}
