import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../api/app';
import { createSequelize } from '../../db/sequelize';
import { rollbarStream } from '../../lib/error-reporting';
import { createLogger } from '../../lib/logger';
import { createUser } from '../support/fixtures';
import { call } from '../support/http';
import { stack } from '../support/stack';

/** A local stand-in for Rollbar's API: the items posted to it. */
async function rollbarStub() {
  const items: { path: string; token: unknown; body: Record<string, any> }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      items.push({
        path: req.url ?? '',
        token: req.headers['x-rollbar-access-token'],
        body: JSON.parse(body || '{}'),
      });
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ err: 0, result: { uuid: 'x' } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/1/item/`;
  return { items, endpoint, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('errors to Rollbar (ROLLBAR_ACCESS_TOKEN, docs/spec.md §12)', () => {
  let stub: Awaited<ReturnType<typeof rollbarStub>>;
  before(async () => {
    stub = await rollbarStub();
  });
  after(() => stub.close());

  function reportingLogger(level: 'error' | 'warning' = 'error') {
    const reports = rollbarStream(
      {
        ROLLBAR_ACCESS_TOKEN: 'test-token',
        ROLLBAR_LEVEL: level,
        ROLLBAR_ENDPOINT: stub.endpoint,
        APP_ENV: 'dev',
      },
      'test',
    );
    assert.ok(reports);
    const lines: string[] = [];
    const logger = createLogger(
      { level: 'info', name: 'test', reportTo: reports },
      { write: (line: string) => void lines.push(line) },
    );
    return { logger, reports, lines };
  }

  it('reports nothing without ROLLBAR_ACCESS_TOKEN', () => {
    assert.equal(
      rollbarStream(
        {
          ROLLBAR_ACCESS_TOKEN: undefined,
          ROLLBAR_LEVEL: 'error',
          ROLLBAR_ENDPOINT: undefined,
          APP_ENV: 'dev',
        },
        'x',
      ),
      undefined,
    );
  });

  it("reports an API request's unhandled error with its stack, and nothing below ROLLBAR_LEVEL", async () => {
    const before = stub.items.length;
    const { logger, reports, lines } = reportingLogger();
    // A pool on a database without our tables: the access check fails with an error no handler
    // expects (Postgres away would be a 503 logged as a warning, docs/spec.md §12).
    const elsewhere = new URL(stack().config.DATABASE_URL);
    elsewhere.pathname = '/postgres';
    const broken = createSequelize(elsewhere.toString());
    const app = createApp({ config: stack().config, sequelize: broken, temporal: stack().temporal, logger });
    const { token } = await createUser();
    const response = await call(app, 'GET', '/v1/auth/me', { token });
    logger.warn('a warning stays in the logs');
    await reports.flush();
    await broken.close();
    assert.ok(response.status >= 500, String(response.status));
    const items = stub.items.slice(before);
    assert.equal(items.length, 1, JSON.stringify(items.map((i) => i.body.data?.level)));
    assert.equal(items[0]?.token, 'test-token');
    assert.equal(items[0]?.path, '/api/1/item/');
    const item = items[0]?.body;
    assert.equal(item?.data.level, 'error');
    assert.equal(item?.data.environment, 'dev');
    assert.ok(item?.data.body.trace ?? item?.data.body.trace_chain, 'sent as an exception with its stack');
    assert.ok(lines.some((line) => line.includes('a warning stays in the logs')));
  });

  it('scrubs personal data and credentials from the item', async () => {
    const before = stub.items.length;
    const { logger, reports } = reportingLogger();
    const failure = Object.assign(
      new Error(
        'new row for relation "employees" violates check constraint: Failing row contains (Ada, Lovelace, 1815-12-10)',
      ),
      { severity: 'ERROR', code: '23514', detail: 'Failing row contains (Ada, Lovelace, 1815-12-10).' },
    );
    logger.error(
      {
        err: failure,
        employee: {
          firstName: 'Ada',
          lastName: 'Lovelace',
          dateOfBirth: '1815-12-10',
          email: 'ada@example.test',
        },
        password: 'hunter2-hunter2',
        authorization: 'Bearer abc.def.ghi',
        importId: '0d5f8a1e-2b7c-4c1d-9e3f-1a2b3c4d5e6f',
      },
      'import failed for "Ada Lovelace"',
    );
    await reports.flush();
    const items = stub.items.slice(before);
    assert.equal(items.length, 1);
    const sent = JSON.stringify(items[0]?.body);
    for (const secret of ['Ada', 'Lovelace', '1815-12-10', 'ada@example.test', 'hunter2', 'abc.def.ghi']) {
      assert.ok(!sent.includes(secret), `${secret} reached Rollbar: ${sent}`);
    }
    assert.ok(sent.includes('0d5f8a1e-2b7c-4c1d-9e3f-1a2b3c4d5e6f'), 'ids stay');
  });
});
