import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Sequelize } from 'sequelize';
import { createMigrator } from '../../db/migrator';
import { query, withClient } from '../../db/sql';
import { useMigrationDatabase } from '../support/migration-database';
import { stack } from '../support/stack';

interface Person {
  first: string | null;
  middle: string | null;
  last: string | null;
  others: readonly (string | null)[] | null;
}

const word = fc.constantFrom(
  'SMITH',
  'JOHN',
  'Z',
  'O BRIEN',
  'ANNE-MARIE',
  'SMITH-JONES',
  '-SMITH',
  'SMITH-',
  'SMITH--JONES',
  'JR',
  'III',
  'JR-SMITH',
  '-',
  ' ',
  '',
  '1',
  'X'.repeat(101),
);
const normalizedName = fc.oneof(
  fc.constant(null),
  fc.array(word, { minLength: 1, maxLength: 3 }).map((parts) => parts.join(' ')),
);
const rawName = fc.oneof(
  fc.constantFrom(
    null,
    '',
    'O',
    'o',
    'Ann',
    'ann',
    'MICHAEL',
    "O'Neil",
    'É',
    'Élise',
    'Jr',
    '  Q',
    '-Q',
    '.',
    'ß',
    'ı',
  ),
  fc.string({ maxLength: 12 }),
  fc.stringMatching(/^[A-Za-z0-9]{1,12}$/),
);
const otherName = fc.oneof(
  rawName,
  fc.constantFrom(
    'Smith, John',
    'SMITH, JOHN Q',
    'John Q Smith',
    'Mary-Jane Doe-Ray',
    ', John',
    'Smith,',
    'Ann Jr',
  ),
);
/** A roster cell of other names: `;` or `|` between them, blanks and separators of its own. */
const otherNamesCell = fc
  .array(fc.oneof(otherName, fc.constantFrom('', '  ', '|')), { maxLength: 4 })
  .map((parts) => parts.join(';'));
const person: fc.Arbitrary<Person> = fc.record({
  first: normalizedName,
  middle: rawName,
  last: normalizedName,
  others: fc.oneof(fc.constant(null), fc.constant([]), fc.array(otherName, { maxLength: 3 })),
});
const entry = fc
  .tuple(word, word, fc.constantFrom('', 'Q'), fc.constantFrom('P', 'A'))
  .map((parts) => parts.join('|'));

/** The four functions' results on the same inputs, from whatever definitions `db` holds. */
async function results(db: Sequelize, names: (string | null)[], people: Person[], entries: string[][]) {
  const normalized = await query<{ value: string | null; split: string[] }>(
    db,
    `SELECT ale_normalize_name(v) AS value, ale_split_names(v) AS split
     FROM unnest($names::text[]) WITH ORDINALITY AS t(v, i) ORDER BY i`,
    { names },
  );
  const matchNames = await query<{ value: string[] }>(
    db,
    `SELECT ale_match_names(p->>'first', p->>'middle', p->>'last',
       CASE WHEN jsonb_typeof(p->'others') = 'array' THEN ARRAY(SELECT jsonb_array_elements_text(p->'others')) END) AS value
     FROM jsonb_array_elements($people::jsonb) WITH ORDINALITY AS t(p, i) ORDER BY i`,
    { people: JSON.stringify(people) },
  );
  const keys = await query<{ value: string[] }>(
    db,
    `SELECT ale_name_keys(ARRAY(SELECT jsonb_array_elements_text(e))) AS value
     FROM jsonb_array_elements($entries::jsonb) WITH ORDINALITY AS t(e, i) ORDER BY i`,
    { entries: JSON.stringify([...entries, ...matchNames.map((row) => row.value)]) },
  );
  return { normalized, matchNames, keys };
}

/** Migration 1910: the name functions' fast paths give the former definitions' results. */
describe('migration 1910: fast paths of ale_normalize_name, ale_match_names, ale_name_keys, ale_split_names', () => {
  const database = useMigrationDatabase('ale_migration_1910', '1900-exclusion-source-record-hash-index');

  it('gives the same results as the definitions before it on generated names, and goes down and up again', async () => {
    const names = [
      ...fc.sample(rawName, 3000),
      ...fc.sample(normalizedName, 500),
      ...fc.sample(otherNamesCell, 1000),
    ];
    const people = fc.sample(person, 3000);
    const entries = fc.sample(fc.array(entry, { maxLength: 4 }), 500);
    const before = await results(database(), names, people, entries);
    // The generated inputs reach every branch: plain and other names, hyphens, several entries.
    assert.ok(before.matchNames.some((row) => row.value.length === 0));
    assert.ok(before.matchNames.some((row) => row.value.length === 1));
    assert.ok(before.matchNames.some((row) => row.value.some((e) => e.endsWith('|A'))));
    assert.ok(before.keys.some((row) => row.value.length > 1));
    assert.ok(before.normalized.some((row) => row.split.length > 1));

    await createMigrator(database()).up({ to: '1910-name-function-fast-paths' });
    assert.deepEqual(await results(database(), names, people, entries), before);

    await createMigrator(database()).down({ to: '1910-name-function-fast-paths' });
    assert.deepEqual(await results(database(), names, people, entries), before);
    const general = await query(database(), "SELECT 1 FROM pg_proc WHERE proname LIKE 'ale\\_%\\_general'");
    assert.equal(general.length, 0, 'down drops the general functions');
    await createMigrator(database()).up({ to: '1910-name-function-fast-paths' });
    assert.deepEqual(await results(database(), names, people, entries), before);
  });
});

describe('the name functions in indexes (migration 1910)', () => {
  it('an index on ale_name_keys serves the screening’s expression, and builds with only pg_catalog on the search path', async () => {
    const { plan, keys } = await withClient(stack().sequelize, async (client) => {
      await client.query('BEGIN');
      await client.query('CREATE TEMP TABLE name_keys_probe (status text, names text[]) ON COMMIT DROP');
      await client.query(
        `INSERT INTO name_keys_probe
         SELECT CASE WHEN i % 2 = 0 THEN 'active' ELSE 'inactive' END,
           CASE i % 3 WHEN 0 THEN '{}'::text[] WHEN 1 THEN ARRAY['LAST' || i || '|FIRST||P']
             ELSE ARRAY['LAST' || i || '|FIRST||P', 'OTHER' || i || '|FIRST|Q|A', 'LAST' || i || '|FIRST|Q|A'] END
         FROM generate_series(1, 3000) AS i`,
      );
      // Index builds run with only pg_catalog on the search path (Postgres 17): every path of the
      // functions, the general ones included, must name its functions with their schema.
      await client.query(
        "CREATE INDEX name_keys_probe_idx ON name_keys_probe USING gin (ale_name_keys(names)) WHERE status = 'active'",
      );
      // names[1] holds '|': the general path of ale_normalize_name.
      await client.query('CREATE INDEX ON name_keys_probe (ale_normalize_name(names[1]))');
      await client.query('ANALYZE name_keys_probe');
      const explained = await client.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN SELECT 1 FROM name_keys_probe x WHERE x.status = 'active' AND ale_name_keys(x.names) && ARRAY['LAST2|FIRST']`,
      );
      const found = await client.query<{ keys: string[] }>(
        `SELECT ale_name_keys(names) AS keys FROM name_keys_probe WHERE names[1] LIKE 'LAST2|%' AND cardinality(names) = 3`,
      );
      await client.query('ROLLBACK');
      return { plan: explained.rows.map((row) => row['QUERY PLAN']).join('\n'), keys: found.rows[0]?.keys };
    });
    assert.match(plan, /Bitmap Index Scan on name_keys_probe_idx/, plan);
    assert.deepEqual([...(keys ?? [])].sort(), ['LAST2|FIRST', 'OTHER2|FIRST']);
  });
});
