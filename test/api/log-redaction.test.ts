import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { query, withClient } from '../../db/sql';
import { call } from '../support/http';
import { capturedLogLines, stack } from '../support/stack';

/**
 * A failing statement reaches the error handler, which logs it: neither the values bound to it nor
 * the row Postgres quotes back (`detail`, `where`, the message's quoted input) may be in that line.
 */
describe('a failing statement is logged without its values', () => {
  const secret = `bound-value-${randomUUID()}`;

  /** The app with a route that runs `statement` with `secret` bound, as a store would. */
  function appFailingWith(
    statement: (client: Parameters<Parameters<typeof withClient>[1]>[0]) => Promise<unknown>,
  ) {
    const app = stack().createApp();
    app.get('/test/failing-statement', async () => {
      await withClient(stack().sequelize, async (client) => {
        await client.query(
          `CREATE TEMP TABLE IF NOT EXISTS log_probe (v text PRIMARY KEY CHECK (v NOT LIKE '%-refused'))`,
        );
        await statement(client);
      });
      return new Response('unreachable');
    });
    return app;
  }

  const cases: [string, Parameters<typeof appFailingWith>[0]][] = [
    [
      'a unique violation ("Key (v)=(…) already exists")',
      (client) => query(client, 'INSERT INTO log_probe (v) VALUES ($v), ($v)', { v: `${secret}-unique` }),
    ],
    [
      'a check violation ("Failing row contains (…)")',
      (client) => query(client, 'INSERT INTO log_probe (v) VALUES ($v)', { v: `${secret}-refused` }),
    ],
    [
      'a cast of the bound value (invalid input syntax: "…")',
      (client) => query(client, 'SELECT $v::integer AS n', { v: `${secret}-cast` }),
    ],
  ];

  for (const [what, statement] of cases) {
    it(`logs ${what} with its code and without the value`, async () => {
      const from = capturedLogLines.length;
      const response = await call(appFailingWith(statement), 'GET', '/test/failing-statement');
      assert.equal(response.status, 500);
      const lines = capturedLogLines.slice(from);
      const logged = lines.find((line) => line.includes('unhandled error'));
      assert.ok(logged, 'the error handler logged the failure');
      assert.match(logged, /"code":"(23505|23514|22P02)"/);
      assert.deepEqual(
        lines.filter((line) => line.includes(secret)),
        [],
      );
      assert.doesNotMatch(logged, /Failing row contains \(|already exists\./);
    });
  }
});
