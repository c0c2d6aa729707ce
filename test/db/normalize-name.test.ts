import assert from 'node:assert/strict';
import fc from 'fast-check';
import { query } from '../../db/sql';
import { hasScreenableCharacter } from '../../domain/screenable-names';
import { stack } from '../support/stack';

async function normalize(values: (string | null)[]): Promise<(string | null)[]> {
  const rows = await query<{ n: string | null }>(
    stack().sequelize,
    'SELECT ale_normalize_name(v) AS n FROM unnest($values::text[]) WITH ORDINALITY AS t(v, i) ORDER BY i',
    { values },
  );
  return rows.map((row) => row.n);
}

/**
 * The definition of migration 0002 (five regexp passes), kept as the reference the current, faster
 * function (migration 0800) must agree with on every input.
 */
const REFERENCE = `nullif(btrim(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(
    upper(public.unaccent('public.unaccent'::regdictionary, coalesce(v, ''))),
    '[''\`’]', '', 'g'),
    '[^A-Z0-9-]+', ' ', 'g'),
    '\\s*-[\\s-]*', '-', 'g'),
    '(?<=\\S)\\s+(JR|SR|II|III|IV|MD|DO|RN)(?=\\s|$)', '', 'g'),
    '\\s+', ' ', 'g'), ' -'), '')`;

async function disagreements(values: (string | null)[]) {
  return query(
    stack().sequelize,
    `SELECT v, ale_normalize_name(v) AS actual, ${REFERENCE} AS expected
     FROM unnest($values::text[]) AS t(v) WHERE ale_normalize_name(v) IS DISTINCT FROM ${REFERENCE}`,
    { values },
  );
}

/** Names built from the pieces every pass of the normalization reacts to. */
const trickyName = fc
  .array(
    fc.constantFrom(
      'a',
      'Z',
      'é',
      'Ö',
      'ß',
      'ı',
      'İ',
      'ﬁ',
      'Æ',
      '1',
      ' ',
      '  ',
      '\t',
      '\n',
      '-',
      '--',
      ' - ',
      '—',
      "'",
      '`',
      '’',
      ',',
      '.',
      '_',
      '/',
      '(',
      'Jr',
      'JR',
      'jr.',
      'SR',
      'II',
      'III',
      'IV',
      'MD',
      'DO',
      'RN',
      'Dr',
      'smith',
      'mc',
    ),
    { maxLength: 10 },
  )
  .map((parts) => parts.join(''));

describe('ale_normalize_name (SQL, docs/spec.md §4.5)', () => {
  const cases: [string | null, string | null][] = [
    ['José', 'JOSE'],
    ['  mary   ann ', 'MARY ANN'],
    ["O'Brien", 'OBRIEN'],
    ['Smith-Jones', 'SMITH-JONES'],
    ['Smith - Jones', 'SMITH-JONES'],
    ['Smith Jr.', 'SMITH'],
    ['SMITH, JR', 'SMITH'],
    ['Doe III', 'DOE'],
    ['Nguyen MD', 'NGUYEN'],
    ['Smith Jr MD', 'SMITH'],
    ['Do', 'DO'],
    ['Jr', 'JR'],
    ['Müller-Lüdenscheidt', 'MULLER-LUDENSCHEIDT'],
    ['Zoë Ångström', 'ZOE ANGSTROM'],
    ['Juniper', 'JUNIPER'],
    ['R ', 'R'],
    ['', null],
    ['  ', null],
    ['---', null],
    [null, null],
  ];

  it('normalizes the table of names', async () => {
    const actual = await normalize(cases.map(([input]) => input));
    assert.deepEqual(
      actual,
      cases.map(([, expected]) => expected),
    );
  });

  it('agrees with the original five-pass definition on generated and arbitrary names', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(trickyName, fc.string({ maxLength: 30 }), fc.string({ unit: 'grapheme', maxLength: 12 })),
          {
            minLength: 1,
            maxLength: 200,
          },
        ),
        async (names) => {
          assert.deepEqual(await disagreements(names), []);
        },
      ),
      { numRuns: 100 },
    );
    assert.deepEqual(await disagreements(cases.map(([input]) => input)), []);
  });

  it('is idempotent and yields only A-Z, digits, single spaces and inner hyphens', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.string({ maxLength: 30 }), { minLength: 1, maxLength: 20 }),
        async (names) => {
          const once = await normalize(names);
          const twice = await normalize(once);
          assert.deepEqual(twice, once);
          for (const value of once) {
            if (value !== null) assert.match(value, /^[A-Z0-9]+([ -][A-Z0-9]+)*$/);
          }
        },
      ),
      { numRuns: 50 },
    );
  });

  it('keeps a character of every name the roster validation accepts (each character of the Basic Multilingual Plane)', async () => {
    const characters: string[] = [];
    for (let code = 0x20; code <= 0xffff; code++) {
      if (code < 0xd800 || code > 0xdfff) characters.push(String.fromCodePoint(code));
    }
    const accepted = characters.filter((character) => hasScreenableCharacter(character));
    const normalized = await normalize(accepted);
    const dropped = accepted.filter((_, i) => normalized[i] === null);
    assert.deepEqual(dropped, [], 'accepted by the validation, dropped by ale_normalize_name');
    // The rule is not vacuous: Latin letters with and without accents count, other scripts do not.
    for (const name of ['Nguyễn', 'Łukasz', 'Øyvind', "O'Brien", 'Straße', 'Ana-María', '3']) {
      assert.ok(hasScreenableCharacter(name), name);
    }
    for (const name of ['Ольга', 'Ζωή', '李小龍', 'محمد', '---', '\u212a']) {
      assert.ok(!hasScreenableCharacter(name), name);
      assert.deepEqual(await normalize([name]), [null], `${name} normalizes to nothing`);
    }
  });
});
