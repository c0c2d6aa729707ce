import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { type PointStore, WriteBehindLimiter } from '../../api/middleware/write-behind-limiter';

/**
 * api/middleware/write-behind-limiter.ts over rate-limiter-flexible's own memory limiter (one store
 * shared by two instances stands for two replicas sharing Postgres): the fast path must admit
 * exactly what the plain limiter admits.
 */

function store(points: number, seconds = 60) {
  const limiter = new RateLimiterMemory({ points, duration: seconds });
  let calls = 0;
  const counted: PointStore = {
    penalty: (key, n) => {
      calls++;
      return limiter.penalty(key, n);
    },
  };
  return { counted, calls: () => calls };
}

const failOnError = (error: unknown) => {
  throw error;
};

describe('WriteBehindLimiter (the shared rate limit without a round trip per request)', () => {
  for (const points of [1, 2, 3, 10, 120]) {
    it(`admits exactly ${points} of ${points * 2} sequential requests, counting RateLimit-Remaining down`, async () => {
      const { counted } = store(points);
      const limiter = new WriteBehindLimiter(counted, points, 60_000, failOnError);
      const decisions = [];
      for (let i = 0; i < points * 2; i++) decisions.push(await limiter.hit('k'));
      assert.equal(decisions.filter((d) => d.allowed).length, points);
      assert.ok(decisions.slice(0, points).every((d) => d.allowed));
      assert.deepEqual(
        decisions.slice(0, points).map((d) => d.remaining),
        Array.from({ length: points }, (_, i) => points - 1 - i),
      );
    });

    it(`two replicas alternating on one key admit ${points} in all`, async () => {
      const { counted } = store(points);
      const a = new WriteBehindLimiter(counted, points, 60_000, failOnError);
      const b = new WriteBehindLimiter(counted, points, 60_000, failOnError);
      let allowed = 0;
      for (let i = 0; i < points * 3; i++) if ((await (i % 2 ? a : b).hit('k')).allowed) allowed++;
      assert.equal(allowed, points);
    });

    it(`a burst of ${points * 3} concurrent requests on one replica admits ${points}`, async () => {
      const { counted } = store(points);
      const limiter = new WriteBehindLimiter(counted, points, 60_000, failOnError);
      const decisions = await Promise.all(Array.from({ length: points * 3 }, () => limiter.hit('k')));
      assert.equal(decisions.filter((d) => d.allowed).length, points);
    });
  }

  it('far below the limit, a burst costs far fewer writes than requests', async () => {
    const { counted, calls } = store(600);
    const limiter = new WriteBehindLimiter(counted, 600, 60_000, failOnError);
    await Promise.all(Array.from({ length: 200 }, () => limiter.hit('user')));
    await sleep(5);
    assert.ok(calls() <= 3, `${calls()} writes for 200 requests`);
    // Every point reached the store.
    const check = await counted.penalty('user', 0);
    assert.equal(check.consumedPoints, 200);
  });

  it('keys are counted apart, and a new window admits again', async function () {
    this.timeout(5_000);
    const { counted } = store(2, 1);
    const limiter = new WriteBehindLimiter(counted, 2, 1_000, failOnError);
    for (let i = 0; i < 2; i++) assert.equal((await limiter.hit('a')).allowed, true);
    assert.equal((await limiter.hit('a')).allowed, false);
    assert.equal((await limiter.hit('b')).allowed, true);
    await sleep(1_100);
    assert.equal((await limiter.hit('a')).allowed, true);
  });
});
