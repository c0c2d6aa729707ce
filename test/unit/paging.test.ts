import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { decodeCursor, encodeCursor } from '../../api/paging';
import { ProblemError } from '../../api/problem';

/** A cursor Postgres would refuse as a statement parameter is refused here, naming query.cursor. */
function refused(cursor: string, fields: Parameters<typeof decodeCursor>[1]) {
  assert.throws(
    () => decodeCursor(cursor, fields),
    (error: unknown) =>
      error instanceof ProblemError &&
      error.status === 400 &&
      error.extra.errors?.[0]?.path === 'query.cursor',
  );
}

describe('decodeCursor', () => {
  const id = randomUUID();

  it('reads back the cursors page() issues', () => {
    assert.deepEqual(decodeCursor(encodeCursor(['Acme', id]), ['text', 'uuid']), ['Acme', id]);
    const at = new Date('2026-02-28T23:59:59.123Z').toISOString();
    assert.deepEqual(decodeCursor(encodeCursor([at, id]), ['timestamp', 'uuid']), [at, id]);
    assert.deepEqual(
      decodeCursor(encodeCursor(['2026-02-28 23:59:59.123456+00', id]), ['timestamp', 'uuid']),
      ['2026-02-28 23:59:59.123456+00', id],
    );
    assert.deepEqual(decodeCursor(encodeCursor([2 ** 31 - 1, id]), ['integer', 'uuid']), [2 ** 31 - 1, id]);
    assert.equal(decodeCursor(undefined, ['text', 'uuid']), undefined);
  });

  it('refuses values of the wrong type', () => {
    refused('WyJ4IiwieCJd', ['text', 'uuid']);
    refused('WyJ4IiwieCJd', ['timestamp', 'uuid']);
    refused(encodeCursor(['1.5', id]), ['integer', 'uuid']);
  });

  it('refuses text holding a NUL character', () => {
    refused(encodeCursor(['a\u0000', id]), ['text', 'uuid']);
  });

  it('refuses timestamps that do not exist', () => {
    for (const at of [
      '2026-02-30T00:00:00Z',
      '2026-13-01T00:00:00Z',
      '2026-00-10T00:00:00Z',
      '2026-01-01T24:00:00Z',
      '2026-01-01T12:60:00Z',
      '0000-01-01T00:00:00Z',
    ]) {
      refused(encodeCursor([at, id]), ['timestamp', 'uuid']);
    }
  });

  it('refuses integers beyond a Postgres integer', () => {
    refused(encodeCursor([2 ** 31, id]), ['integer', 'uuid']);
    refused(encodeCursor([-(2 ** 40), id]), ['integer', 'uuid']);
  });
});
