import assert from 'node:assert/strict';
import fc from 'fast-check';
import { stack } from '../support/stack';

async function normalize(values: (string | null)[]): Promise<(string | null)[]> {
  const [rows] = await stack().sequelize.query(
    'SELECT ale_normalize_name(v) AS n FROM unnest(ARRAY[:values]::text[]) WITH ORDINALITY AS t(v, i) ORDER BY i',
    { replacements: { values } },
  );
  return (rows as { n: string | null }[]).map((row) => row.n);
}

describe('ale_normalize_name (SQL, SPEC §4.5)', () => {
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
});
