import assert from 'node:assert/strict';
import fc from 'fast-check';
import pg from 'pg';
import { isoTimestamp } from '../../lib/iso-timestamp';

const parse = pg.types.getTypeParser(pg.types.builtins.TIMESTAMPTZ);
const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** A timestamptz as Postgres prints it (DateStyle ISO): fraction without trailing zeros, none at .0. */
function postgresText(ms: number, micros: number, offset: string) {
  const d = new Date(ms);
  const fraction = String(d.getUTCMilliseconds() * 1000 + micros)
    .padStart(6, '0')
    .replace(/0+$/, '');
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(
    d.getUTCMinutes(),
  )}:${pad(d.getUTCSeconds())}${fraction ? `.${fraction}` : ''}${offset}`;
}

describe('isoTimestamp (db/sequelize.ts)', () => {
  it('gives what pg parsing the same text and Date#toISOString give, for UTC text', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(1900, 0, 1), max: Date.UTC(2200, 0, 1) }),
        fc.integer({ min: 0, max: 999 }),
        (ms, micros) => {
          const text = postgresText(ms, micros, '+00');
          assert.equal(isoTimestamp(text), (parse(text) as Date).toISOString(), text);
        },
      ),
      { numRuns: 2000 },
    );
    assert.equal(isoTimestamp('2026-01-02 03:04:05.999999+00'), '2026-01-02T03:04:05.999Z');
    assert.equal(isoTimestamp('2026-01-02 03:04:05+00'), '2026-01-02T03:04:05.000Z');
    assert.equal(isoTimestamp('2026-01-02 03:04:05.5+00'), '2026-01-02T03:04:05.500Z');
  });

  it('reads text with another offset through pg (a session not in UTC), and Dates', () => {
    assert.equal(isoTimestamp('2026-12-02 08:45:12.649123+05:30'), '2026-12-02T03:15:12.649Z');
    assert.equal(isoTimestamp('1999-12-31 23:59:59.5-05'), '2000-01-01T04:59:59.500Z');
    assert.equal(isoTimestamp(new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6))), '2026-01-02T03:04:05.006Z');
  });
});
