import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../env';
import { ProblemError } from '../problem';

export interface ThrottleRule {
  /** Failed attempts allowed inside the window… */
  maxFailures: number;
  /** …of this many seconds; the oldest failure leaving the window frees one attempt. */
  windowSeconds: number;
}

/**
 * Failed-attempt counters per key in a sliding window, in memory. Bounded: at most `maxKeys`
 * keys are tracked, the least recently failed are dropped first.
 */
export class FailureWindow {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly rule: ThrottleRule,
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 100_000,
  ) {}

  /** Seconds until `key` may try again, or 0 when it may try now. */
  retryAfter(key: string): number {
    const recent = this.prune(key);
    if (recent.length < this.rule.maxFailures) return 0;
    const oldest = recent[recent.length - this.rule.maxFailures] ?? this.now();
    return Math.max(1, Math.ceil((oldest + this.rule.windowSeconds * 1000 - this.now()) / 1000));
  }

  recordFailure(key: string): void {
    const recent = this.prune(key);
    recent.push(this.now());
    // Re-insert so Map order is least-recently-failed first.
    this.failures.delete(key);
    this.failures.set(key, recent);
    while (this.failures.size > this.maxKeys) {
      const oldestKey = this.failures.keys().next().value;
      if (oldestKey === undefined) break;
      this.failures.delete(oldestKey);
    }
  }

  reset(key: string): void {
    this.failures.delete(key);
  }

  private prune(key: string): number[] {
    const cutoff = this.now() - this.rule.windowSeconds * 1000;
    const recent = (this.failures.get(key) ?? []).filter((at) => at > cutoff);
    if (recent.length === 0) this.failures.delete(key);
    else this.failures.set(key, recent);
    return recent;
  }
}

export interface LoginThrottleRules {
  /** Guessing one account's password from one client: a stranger's failures stay theirs. */
  perEmailAndClient: ThrottleRule;
  /** One client spraying many accounts. */
  perClient: ThrottleRule;
  /** One account guessed from many clients at once: far above what one client may try. */
  perEmail: ThrottleRule;
}

export const LOGIN_THROTTLE: LoginThrottleRules = {
  perEmailAndClient: { maxFailures: 5, windowSeconds: 15 * 60 },
  perClient: { maxFailures: 30, windowSeconds: 15 * 60 },
  perEmail: { maxFailures: 100, windowSeconds: 15 * 60 },
};

/** The socket's peer address; requests without a socket (in-process tests) share one bucket. */
function clientAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

async function emailOf(c: Context): Promise<string | undefined> {
  try {
    const body = await c.req.json();
    return typeof body?.email === 'string' ? body.email.trim().toLowerCase() : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Throttles POST /v1/auth/login: too many failed logins for one email from one client address,
 * from one client address for any email, or for one email from everywhere answer 429 with
 * Retry-After before the password is checked. Someone else's failures for your email, from
 * another address, do not lock you out. A successful login clears that email's counter for that
 * client. State lives in this process (one API replica); several replicas would each count
 * separately.
 */
export function loginThrottle(rules: LoginThrottleRules = LOGIN_THROTTLE, now: () => number = Date.now) {
  const byEmailAndClient = new FailureWindow(rules.perEmailAndClient, now);
  const byClient = new FailureWindow(rules.perClient, now);
  const byEmail = new FailureWindow(rules.perEmail, now);
  return createMiddleware<AppEnv>(async (c, next) => {
    if (c.req.method !== 'POST') return next();
    const email = await emailOf(c);
    const client = clientAddress(c);
    // A client address holds no `|`, so the first one splits the key unambiguously.
    const pair = email === undefined ? undefined : `${client}|${email}`;
    const wait = Math.max(
      pair ? byEmailAndClient.retryAfter(pair) : 0,
      byClient.retryAfter(client),
      email ? byEmail.retryAfter(email) : 0,
    );
    if (wait > 0) {
      throw new ProblemError(429, `Too many failed logins; try again in ${wait} seconds.`, {
        headers: { 'Retry-After': String(wait) },
      });
    }
    await next();
    if (c.res.status === 401) {
      if (pair && email) {
        byEmailAndClient.recordFailure(pair);
        byEmail.recordFailure(email);
      }
      byClient.recordFailure(client);
    } else if (c.res.status === 200 && pair) {
      byEmailAndClient.reset(pair);
    }
  });
}
