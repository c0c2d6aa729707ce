import assert from 'node:assert/strict';
import { FailureWindow } from '../../api/middleware/login-throttle';

describe('FailureWindow (login throttling)', () => {
  it('blocks after maxFailures inside the window and frees one slot as the oldest ages out', () => {
    let now = 1_000_000;
    const window = new FailureWindow({ maxFailures: 3, windowSeconds: 60 }, () => now);
    for (let i = 0; i < 3; i++) {
      assert.equal(window.retryAfter('a'), 0);
      window.recordFailure('a');
      now += 10_000;
    }
    // Failures at 0 s, 10 s, 20 s; now is 30 s: the first leaves the window at 60 s.
    assert.equal(window.retryAfter('a'), 30);
    assert.equal(window.retryAfter('b'), 0);
    now += 30_000;
    assert.equal(window.retryAfter('a'), 0);
  });

  it('reset clears a key', () => {
    const window = new FailureWindow({ maxFailures: 1, windowSeconds: 60 });
    window.recordFailure('a');
    assert.ok(window.retryAfter('a') > 0);
    window.reset('a');
    assert.equal(window.retryAfter('a'), 0);
  });

  it('stays bounded: the least recently failed keys are dropped first', () => {
    const window = new FailureWindow({ maxFailures: 1, windowSeconds: 60 }, Date.now, 2);
    window.recordFailure('a');
    window.recordFailure('b');
    window.recordFailure('c');
    assert.equal(window.retryAfter('a'), 0);
    assert.ok(window.retryAfter('b') > 0);
    assert.ok(window.retryAfter('c') > 0);
  });
});
