import assert from 'node:assert/strict';
import { isOutageError } from '../../lib/outage-errors';

/** Which errors the patient retries wait out (docs/spec.md §12) and which they stop on. */

const withProps = (message: string, props: Record<string, unknown>) =>
  Object.assign(new Error(message), props);

describe('isOutageError', () => {
  it('counts a dependency that is away or busy as an outage', () => {
    const outages = [
      withProps('connect ECONNREFUSED 127.0.0.1:5433', { code: 'ECONNREFUSED' }),
      withProps('terminating connection due to administrator command', { code: '57P01' }),
      withProps('the database system is starting up', { code: '57P03' }),
      withProps('canceling statement due to statement timeout', { code: '57014' }),
      withProps('could not serialize access', { code: '40001' }),
      withProps('wrapped', { name: 'SequelizeConnectionRefusedError' }),
      new Error('Connection terminated unexpectedly'),
      withProps('Service Unavailable', { name: 'ServiceUnavailable', $metadata: { httpStatusCode: 503 } }),
      withProps('We encountered an internal error', { $metadata: { httpStatusCode: 500 } }),
      new Error('outer', { cause: withProps('socket', { code: 'ECONNRESET' }) }),
      withProps('sequelize wrapper', { parent: withProps('inner', { code: '08006' }) }),
    ];
    assert.deepEqual(
      outages.filter((error) => !isOutageError(error)).map((error) => error.message),
      [],
    );
  });

  it('does not count a refusal of the work itself', () => {
    const refusals = [
      withProps('duplicate key value violates unique constraint', { code: '23505' }),
      withProps('invalid input syntax for type uuid', { code: '22P02' }),
      withProps('The specified key does not exist.', {
        name: 'NoSuchKey',
        $metadata: { httpStatusCode: 404 },
      }),
      withProps('Access Denied', { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }),
      new TypeError("Cannot read properties of undefined (reading 'id')"),
      withProps('base class', { name: 'SequelizeError' }),
      'a string',
      null,
    ];
    assert.deepEqual(
      refusals.filter((error) => isOutageError(error)),
      [],
    );
  });
});
