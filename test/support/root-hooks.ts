import assert from 'node:assert/strict';
import { secretsInLogs } from './log-secrets';
import { capturedLogLines, startTestStack, stopTestStack } from './stack';

/** Starts the real stack (Temporal dev server, Postgres, moto) once per run; unit tests just ignore it. */
export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(15 * 60_000);
    await startTestStack();
  },
  async afterAll(this: Mocha.Context) {
    this.timeout(60_000);
    await stopTestStack();
    // The whole run's API and activity logs: a failure here names the leaking line.
    assert.deepEqual(secretsInLogs(capturedLogLines), [], 'logs carry no passwords, tokens or roster rows');
  },
};
