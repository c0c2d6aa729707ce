import assert from 'node:assert/strict';
import fc from 'fast-check';
import { QueryTypes } from 'sequelize';
import { boolArray, dateArray, int4Array, randomUuidArray, textArray } from '../../db/binary-arrays';
import { stack } from '../support/stack';

/**
 * Postgres reads `binary` (`$1`) and `values` as node-postgres encodes arrays (text, `$2`), both cast
 * to `type`, as `values`.
 */
async function assertReadAsGiven(type: string, binary: Buffer, values: unknown[]) {
  const [row] = await stack().sequelize.query<{ binary: unknown; text: unknown }>(
    `SELECT $1::${type} AS binary, $2::${type} AS text`,
    { bind: [binary, values], type: QueryTypes.SELECT },
  );
  assert.deepEqual(row?.binary, values);
  assert.deepEqual(row?.binary, row?.text);
}

/** Postgres reads the roster batches' binary array parameters as it reads their text form. */
describe('binary array parameters (db/binary-arrays.ts, read by Postgres)', () => {
  it('text[]: any strings without U+0000, nulls and empty strings, equal to the text encoding', async () => {
    const cell = fc.oneof(
      fc.constant(null),
      fc.constant(''),
      fc.string({ unit: 'binary', maxLength: 40 }).map((s) => s.replaceAll('\u0000', '')),
      fc.constantFrom('"quoted"', 'back\\slash', '{braces}', 'a,b', 'NULL', ' padded ', 'José 🏥 中文'),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(cell, { maxLength: 30 }), async (values) => {
        await assertReadAsGiven('text[]', textArray(values), values);
      }),
      { numRuns: 150 },
    );
  });

  it('text[]: a string of 1 MB and strings of 4-byte characters', async () => {
    const values = ['x'.repeat(1024 * 1024), '🏥'.repeat(1000), 'ß'];
    await assertReadAsGiven('text[]', textArray(values), values);
  });

  it('date[]: calendar dates from 1850 to 2200, leap days included, and nulls', async () => {
    const dates = [
      '1850-01-01',
      '1899-12-31',
      '1969-12-31',
      '1970-01-01',
      '1999-12-31',
      '2000-01-01',
      '2000-02-29',
      '2024-02-29',
      '2100-03-01',
      '2200-12-31',
    ];
    const values = [...dates, null];
    await assertReadAsGiven('date[]::text[]', dateArray(values), values);
  });

  it('bool[] and int4[], empty arrays of each', async () => {
    const [values] = await stack().sequelize.query<Record<string, unknown>>(
      'SELECT $1::bool[] AS b, $2::int[] AS i, $3::bool[] AS no_b, $4::int[] AS no_i, $5::text[] AS no_t',
      {
        bind: [
          boolArray([true, false, true]),
          int4Array([0, 1, -1, 2_147_483_647, -2_147_483_648]),
          boolArray([]),
          int4Array([]),
          textArray([]),
        ],
        type: QueryTypes.SELECT,
      },
    );
    assert.deepEqual(values, {
      b: [true, false, true],
      i: [0, 1, -1, 2_147_483_647, -2_147_483_648],
      no_b: [],
      no_i: [],
      no_t: [],
    });
  });

  it('uuid[]: distinct version 4 UUIDs', async () => {
    const [row] = await stack().sequelize.query<{ ids: string[] }>('SELECT $1::uuid[]::text[] AS ids', {
      bind: [randomUuidArray(1000)],
      type: QueryTypes.SELECT,
    });
    assert.equal(row?.ids.length, 1000);
    assert.equal(new Set(row?.ids).size, 1000);
    for (const id of row?.ids ?? [])
      assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('a text element with U+0000 is refused by Postgres, as in text form', async () => {
    await assert.rejects(
      stack().sequelize.query('SELECT $1::text[]', {
        bind: [textArray(['a\u0000b'])],
        type: QueryTypes.SELECT,
      }),
      /0x00/,
    );
  });
});
