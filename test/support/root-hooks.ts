import { startTestStack, stopTestStack } from './stack';

/** Starts the real stack (Temporal dev server, Postgres, moto) once per run; unit tests just ignore it. */
export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(15 * 60_000);
    await startTestStack();
  },
  async afterAll(this: Mocha.Context) {
    this.timeout(60_000);
    await stopTestStack();
  },
};
