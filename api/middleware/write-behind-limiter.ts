import type { RateLimiterRes } from 'rate-limiter-flexible';

/** What `WriteBehindLimiter` needs of a rate-limiter-flexible limiter: add points to a key. */
export interface PointStore {
  penalty(key: string, points: number): Promise<RateLimiterRes>;
}

export interface LimitDecision {
  allowed: boolean;
  /** Requests left in this window, as far as this replica knows. */
  remaining: number;
  msBeforeNext: number;
}

interface Known {
  consumed: number;
  resetAt: number;
}

/**
 * A shared (Postgres) rate-limit counter without a database round trip on most requests
 * (docs/spec.md §11; issue 26 bounds the limiter's cost on employee search to 10 %). Far below the
 * limit a request is admitted on this replica's estimate — the total the store last answered plus
 * what this replica has counted since — and its point is written behind it: one write per key in
 * flight at a time, carrying every point that accumulated meanwhile, so a busy user costs one
 * upsert per round trip rather than one per request, and concurrent requests do not queue on the
 * key's row lock. In the last tenth of the limit (at least the last 3 requests) every request waits
 * for its own write and is decided on the store's total, so the limit holds across replicas; a key
 * whose last known total is over the limit is refused without a write until its window ends. The counting and windows
 * stay rate-limiter-flexible's.
 */
export class WriteBehindLimiter {
  private readonly known = new Map<string, Known>();
  /** Points counted here and not yet written. */
  private readonly unsent = new Map<string, number>();
  /** Points written and not yet answered. */
  private readonly sending = new Map<string, number>();
  /** Each key's last write: a key's writes go one after another, so each answer counts the earlier. */
  private readonly tails = new Map<string, Promise<unknown>>();
  private readonly margin: number;

  constructor(
    private readonly store: PointStore,
    readonly points: number,
    private readonly windowMs: number,
    private readonly onError: (error: unknown) => void,
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 100_000,
  ) {
    // Wider than what other replicas can have in flight, so the shared total reaches the limit only
    // once everyone decides on it.
    this.margin = Math.max(3, Math.ceil(points / 10));
  }

  async hit(key: string): Promise<LimitDecision> {
    const now = this.now();
    let known = this.known.get(key);
    if (known && known.resetAt <= now) {
      this.known.delete(key);
      known = undefined;
    }
    const msBeforeNext = known ? known.resetAt - now : this.windowMs;
    if (known && known.consumed >= this.points) return { allowed: false, remaining: 0, msBeforeNext };
    const estimate = (known?.consumed ?? 0) + (this.unsent.get(key) ?? 0) + (this.sending.get(key) ?? 0) + 1;
    if (estimate <= this.points - this.margin) {
      this.add(this.unsent, key, 1);
      this.flush(key);
      return { allowed: true, remaining: this.points - estimate, msBeforeNext };
    }
    // Near the limit: this request's point (and any unsent ones) now, decided on the shared total.
    const points = (this.unsent.get(key) ?? 0) + 1;
    this.unsent.delete(key);
    const res = await this.send(key, points);
    if (!res) return { allowed: true, remaining: 0, msBeforeNext };
    return {
      allowed: res.consumedPoints <= this.points,
      remaining: Math.max(0, this.points - res.consumedPoints),
      msBeforeNext: res.msBeforeNext,
    };
  }

  /** Writes what accumulated for `key` unless a write of it is already in flight. */
  private flush(key: string): void {
    if (this.sending.has(key)) return;
    const points = this.unsent.get(key);
    if (!points) return;
    this.unsent.delete(key);
    void this.send(key, points).then(() => this.flush(key));
  }

  private send(key: string, points: number): Promise<RateLimiterRes | undefined> {
    this.add(this.sending, key, points);
    const result = (this.tails.get(key) ?? Promise.resolve()).then(() => this.write(key, points));
    this.tails.set(key, result);
    void result.then(() => {
      if (this.tails.get(key) === result) this.tails.delete(key);
    });
    return result;
  }

  /** Never rejects: a failed write is reported and its points forgotten. */
  private async write(key: string, points: number): Promise<RateLimiterRes | undefined> {
    try {
      const res = await this.store.penalty(key, points);
      this.record(key, res);
      return res;
    } catch (error) {
      this.onError(error);
      return undefined;
    } finally {
      this.add(this.sending, key, -points);
    }
  }

  /** Answers may arrive out of order: within one window the larger total is the later one. */
  private record(key: string, res: RateLimiterRes): void {
    const resetAt = this.now() + res.msBeforeNext;
    const known = this.known.get(key);
    const sameWindow = known && Math.abs(known.resetAt - resetAt) < 1000;
    const consumed = sameWindow ? Math.max(known.consumed, res.consumedPoints) : res.consumedPoints;
    this.known.delete(key);
    this.known.set(key, { consumed, resetAt });
    if (this.known.size > this.maxKeys) this.known.delete(this.known.keys().next().value as string);
  }

  private add(map: Map<string, number>, key: string, points: number): void {
    const value = (map.get(key) ?? 0) + points;
    if (value === 0) map.delete(key);
    else map.set(key, value);
  }
}
