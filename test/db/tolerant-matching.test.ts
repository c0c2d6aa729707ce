import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { loadNicknames } from '../../db/nickname-store';
import {
  type ChunkCounts,
  FIRST_EMPLOYEE_ID,
  nextChunk,
  screenAddedExclusions,
  screenChunk,
} from '../../db/screening-store';
import { execute, query, queryOne } from '../../db/sql';
import { EXCLUSION_SOURCE_IDS } from '../../domain/exclusion-sources/source';
import { MATCH_REASONS, type MatchReason } from '../../domain/match-reasons';
import { parseNicknameCsv } from '../../domain/nicknames';
import type { ScreeningScope } from '../../lib/workflow-contracts';
import type { LabeledPair, LabeledPerson, LabeledRecord } from '../../scripts/generate-matching-set';
import { deleteLabeledSet, insertLabeledSet, labeledSet, scoreLabeledSet } from '../fixtures/matching-set';
import { createOrganization } from '../support/fixtures';
import { stack } from '../support/stack';

/**
 * The tiers and never-match rules of docs/spec.md §9, table-driven on real Postgres: each row is a
 * person, a list record and the reason they must match for (null: never). Every table is screened
 * three ways — the organization chunk by chunk (hash joins), each person on their own (the lists'
 * indexes), and the records as a list import's added keys (the roster's indexes) — and each way
 * must find exactly the table.
 */

const ALL_SOURCES = [...EXCLUSION_SOURCE_IDS];
const sequelize = () => stack().sequelize;

/**
 * Screens the scope chunk by chunk; `hash` forces the hash joins of a large chunk (small chunks find
 * their records through the lists' indexes, PERSON_MODE_MAX).
 */
async function screenScope(scope: ScreeningScope, chunkSize = 3, hash = false): Promise<ChunkCounts> {
  const total: ChunkCounts = { opened: 0, matched: 0, resolved: 0 };
  let after = FIRST_EMPLOYEE_ID;
  for (;;) {
    const chunk = await nextChunk(sequelize(), scope, after, chunkSize);
    if (!chunk) break;
    const counts = await screenChunk(
      sequelize(),
      scope,
      hash ? { ...chunk, few: false } : chunk,
      ALL_SOURCES,
    );
    total.opened += counts.opened;
    total.matched += counts.matched;
    total.resolved += counts.resolved;
    if (chunk.upto === null) break;
    after = chunk.upto;
  }
  return total;
}

const leie = (first: string, last: string, dob: string | null, extra: Partial<LabeledRecord> = {}) =>
  ({
    source: 'leie',
    entityKind: 'individual',
    firstName: first,
    lastName: last,
    dob,
    ...extra,
  }) as LabeledRecord;
const sam = (first: string, last: string, extra: Partial<LabeledRecord> = {}) =>
  ({ source: 'sam', entityKind: 'individual', firstName: first, lastName: last, ...extra }) as LabeledRecord;
const person = (first: string, last: string, dob: string | null, extra: Partial<LabeledPerson> = {}) =>
  ({ firstName: first, lastName: last, dateOfBirth: dob, ...extra }) as LabeledPerson;

type Row = [id: string, expected: MatchReason | null, person: LabeledPerson, record: LabeledRecord];

/** Each tier, with the variations its rule names. Last names are distinct across rows. */
const TIERS: Row[] = [
  [
    'npi',
    'npi',
    person('Ann', 'Quillfeather', '1970-01-01', { npi: '1234567893' }),
    leie('ZED', 'ORTOLAN', '1960-02-02', { npi: '1234567893' }),
  ],
  [
    'npi beats names',
    'npi',
    person('Bea', 'Rosenquist', '1971-01-01', { npi: '1245319599' }),
    leie('BEA', 'ROSENQUIST', '1971-01-01', { npi: '1245319599' }),
  ],
  [
    'name_dob',
    'name_dob',
    person('Carl', 'Sandoval-Ybarra', '1972-03-04'),
    leie('CARL', 'YBARRA', '1972-03-04'),
  ],
  [
    'name_dob accents, suffix',
    'name_dob',
    person('Dörte', 'Tâllis Jr.', '1973-05-06'),
    leie('DORTE', 'TALLIS', '1973-05-06'),
  ],
  [
    'alias_dob: other name',
    'alias_dob',
    person('Edna', 'Underhill', '1974-07-08', { otherNames: ['Edna Vexley'] }),
    leie('EDNA', 'VEXLEY', '1974-07-08'),
  ],
  [
    'alias_dob: maiden name alone',
    'alias_dob',
    person('Fay', 'Wickersham', '1975-09-10', { otherNames: ['Xanthopoulos'] }),
    leie('FAY', 'XANTHOPOULOS', '1975-09-10'),
  ],
  [
    'alias_dob: "Last, First M"',
    'alias_dob',
    person('Gus', 'Yardley', '1976-11-12', { otherNames: ['Zabriskie, Gustavo Q'] }),
    leie('GUSTAVO', 'ZABRISKIE', '1976-11-12'),
  ],
  [
    'alias_dob: record alias',
    'alias_dob',
    person('Hal', 'Abernethy', '1977-01-13'),
    sam('HENRY', 'BLOMQVIST', { dob: '1977-01-13', aliases: ['HAL ABERNETHY'] }),
  ],
  [
    'nickname_dob',
    'nickname_dob',
    person('Bob', 'Castellanos', '1978-02-14'),
    leie('ROBERT', 'CASTELLANOS', '1978-02-14'),
  ],
  [
    'nickname_dob reversed',
    'nickname_dob',
    person('William', 'Delacroix', '1979-03-15'),
    leie('BILL', 'DELACROIX', '1979-03-15'),
  ],
  [
    'fuzzy_dob substitute',
    'fuzzy_dob',
    person('Ida', 'Smyth', '1980-04-16'),
    leie('IDA', 'SMITH', '1980-04-16'),
  ],
  [
    'fuzzy_dob insert',
    'fuzzy_dob',
    person('Jan', 'Eberhardtt', '1981-05-17'),
    leie('JAN', 'EBERHARDT', '1981-05-17'),
  ],
  [
    'fuzzy_dob delete',
    'fuzzy_dob',
    person('Kit', 'Fairbrther', '1982-06-18'),
    leie('KIT', 'FAIRBROTHER', '1982-06-18'),
  ],
  [
    'fuzzy_dob swap of neighbours',
    'fuzzy_dob',
    person('Lou', 'Gallgaher', '1983-07-19'),
    leie('LOU', 'GALLAGHER', '1983-07-19'),
  ],
  [
    'fuzzy_dob first/last swapped',
    'fuzzy_dob',
    person('Hendricks', 'Mae', '1984-08-20'),
    leie('MAE', 'HENDRICKS', '1984-08-20'),
  ],
  [
    'fuzzy_dob day/month swapped',
    'fuzzy_dob',
    person('Ned', 'Ingersoll', '1985-03-09'),
    leie('NED', 'INGERSOLL', '1985-09-03'),
  ],
  [
    'name: no DOB on the person',
    'name',
    person('Opal', 'Jablonski', null),
    leie('OPAL', 'JABLONSKI', '1986-10-21'),
  ],
  [
    'name: a list without DOBs',
    'name',
    person('Pia', 'Kowalczyk', '1987-11-22', { middleName: 'R' }),
    sam('PIA', 'KOWALCZYK', { middleName: 'ROSE' }),
  ],
  [
    'name: one middle name missing',
    'name',
    person('Quin', 'Lindqvist', '1988-12-23', { middleName: 'T' }),
    sam('QUIN', 'LINDQVIST'),
  ],
  [
    'name: record alias',
    'name',
    person('Rae', 'Montgomery', '1989-01-24'),
    sam('RACHEL', 'NIGHTINGALE', { aliases: ['Montgomery, Rae'] }),
  ],
];

/** Each never-match rule of §9, and the edges of the tiers' rules. */
const NEVER: Row[] = [
  [
    'both DOBs known, different',
    null,
    person('Sal', 'Ostrowski', '1970-02-03'),
    leie('SAL', 'OSTROWSKI', '1970-02-04'),
  ],
  [
    'DOBs differ, nickname',
    null,
    person('Bob', 'Pemberly', '1971-02-03'),
    leie('ROBERT', 'PEMBERLY', '1972-02-03'),
  ],
  [
    'DOBs differ, one edit',
    null,
    person('Tia', 'Quackenbush', '1973-02-03'),
    leie('TIA', 'QUACKENBUSK', '1973-02-13'),
  ],
  [
    'DOB day/month swapped, nickname',
    null,
    person('Bob', 'Rasmussen', '1974-02-11'),
    leie('ROBERT', 'RASMUSSEN', '1974-11-02'),
  ],
  [
    'DOB day/month swapped, one edit',
    null,
    person('Uma', 'Stavropoulos', '1974-03-11'),
    leie('UMA', 'STAVROPOLOS', '1974-11-03'),
  ],
  [
    'business record (LEIE)',
    null,
    person('Val', 'Sorensen', '1975-02-03', { npi: '1356913628' }),
    {
      source: 'leie',
      entityKind: 'business',
      businessName: 'VAL SORENSEN',
      npi: '1356913628',
      dob: '1975-02-03',
    },
  ],
  [
    'business record (SAM Firm)',
    null,
    person('Wes', 'Thornton', '1976-02-03'),
    sam('WES', 'THORNTON', {
      entityKind: 'business',
      businessName: 'THORNTON LLC',
      aliases: ['WES THORNTON'],
    }),
  ],
  [
    'reinstated LEIE row',
    null,
    person('Xia', 'Upshaw', '1977-02-03', { npi: '1467024935' }),
    leie('XIA', 'UPSHAW', '1977-02-03', { reinstatedOn: '2024-01-01', npi: '1467024935' }),
  ],
  [
    'ended record',
    null,
    person('Yves', 'Vanderbilt', '1978-02-03'),
    sam('YVES', 'VANDERBILT', { endsOn: '2020-01-01' }),
  ],
  [
    'inactive person',
    null,
    person('Zoe', 'Whitlock', '1979-02-03', { status: 'inactive', npi: '1578135240' }),
    leie('ZOE', 'WHITLOCK', '1979-02-03', { npi: '1578135240' }),
  ],
  [
    'one edit in a short last name',
    null,
    person('Abe', 'Lea', '1980-02-03'),
    leie('ABE', 'LEE', '1980-02-03'),
  ],
  [
    'one edit leaving 4 letters',
    null,
    person('Ben', 'Koch', '1981-02-03'),
    leie('BEN', 'KOCHS', '1981-02-03'),
  ],
  ['two edits', null, person('Cy', 'Yablonsky', '1982-02-03'), leie('CY', 'YABLOSNKI', '1982-02-03')],
  [
    'one edit, first name differs',
    null,
    person('Dan', 'Zimmermann', '1983-02-03'),
    leie('DON', 'ZIMMERMAN', '1983-02-03'),
  ],
  [
    'middle initials disagree',
    null,
    person('Eve', 'Ackerley', null, { middleName: 'J' }),
    leie('EVE', 'ACKERLEY', '1984-02-03', { middleName: 'K' }),
  ],
  [
    'first names unrelated',
    null,
    person('Flo', 'Brightwater', '1985-02-03'),
    leie('MAX', 'BRIGHTWATER', '1985-02-03'),
  ],
  [
    'first name is a prefix',
    null,
    person('Mary', 'Cunningham', '1986-02-03'),
    leie('MARY ANN', 'CUNNINGHAM', '1986-02-03'),
  ],
];

/** Bad input in a list or a roster: no match, and never a failed screening. */
const BAD: Row[] = [
  ['empty names', null, person('', '', null), leie('', '', null)],
  ['punctuation only', null, person('***', '--', null), leie('...', '!!!', null)],
  ['suffix only', null, person('Jr.', 'III', null), leie('JR', 'III', null)],
  [
    'suffix-only alias',
    null,
    person('Sr', 'Sr', null),
    sam('GEORGE', 'DALRYMPLE', { aliases: ['SR', 'JR III', ', ,', '-'] }),
  ],
  [
    '500-character names',
    null,
    person('A'.repeat(500), 'B'.repeat(500), null),
    leie('A'.repeat(500), 'B'.repeat(500), null),
  ],
  [
    '500-character alias',
    null,
    person('Gil', 'C'.repeat(500), null, { otherNames: [`Gil ${'D'.repeat(500)}`] }),
    sam('GIL', 'E'.repeat(300), { aliases: [`GIL ${'D'.repeat(500)}`] }),
  ],
  ['Cyrillic', null, person('Иван', 'Петров', '1960-01-01'), leie('ИВАН', 'ПЕТРОВ', '1960-01-01')],
  ['Han', null, person('小明', '王', '1961-01-01'), sam('小明', '王', { aliases: ['王小明'] })],
  [
    'Arabic alias',
    null,
    person('Hana', 'Eldridge', null, { otherNames: ['هناء الدريج'] }),
    sam('JOHN', 'FARNSWORTH', { aliases: ['هناء الدريج'] }),
  ],
];

const pairsOf = (rows: Row[]): LabeledPair[] =>
  rows.map(([id, expected, person, record]) => ({ id, rule: id, expected, person, record }));

/** Loads a table into a fresh organization and returns it with what each mode of screening finds. */
async function screenTable(rows: Row[]) {
  const tag = `tiers-${randomUUID()}`;
  const pairs = pairsOf(rows);
  const organization = await createOrganization();
  await insertLabeledSet(sequelize(), organization.id, pairs, tag);
  return { tag, pairs, organizationId: organization.id };
}

async function assertTable(rows: Row[]) {
  const { tag, pairs, organizationId } = await screenTable(rows);
  try {
    const expected = Object.fromEntries(rows.map(([id, reason]) => [id, reason]));
    const found = async () => {
      const score = await scoreLabeledSet(sequelize(), organizationId, pairs, tag);
      assert.equal(score.crossMatches, 0, 'no person matches another row’s record');
      const reasons = Object.fromEntries(pairs.map((pair) => [pair.id, pair.expected]));
      for (const [id, reason] of score.missed) reasons[id] = reason as MatchReason | null;
      for (const [id, reason] of score.nearMissesMatched) reasons[id] = reason as MatchReason;
      return reasons;
    };
    const clear = () =>
      execute(sequelize(), 'DELETE FROM exclusion_matches WHERE organization_id = $organizationId', {
        organizationId,
      });

    // 1. The organization, chunk by chunk, with the hash joins of large chunks, then as a small one.
    await screenScope({ kind: 'organization', organizationId }, 3, true);
    assert.deepEqual(await found(), expected, 'organization scope, hash joins');
    await clear();
    await screenScope({ kind: 'organization', organizationId });
    assert.deepEqual(await found(), expected, 'organization scope, a few people');

    // 2. Each person on their own (a person's change: the lists' indexes).
    await clear();
    const ids = await query<{ id: string }>(
      sequelize(),
      'SELECT id FROM employees WHERE organization_id = $organizationId',
      { organizationId },
    );
    for (const { id } of ids) {
      await screenScope({ kind: 'employees', organizationId, employeeIds: [id] });
    }
    assert.deepEqual(await found(), expected, 'one person at a time');

    // 3. The records as the added keys of list imports (the roster's indexes).
    await clear();
    const leieCheck = await queryOne<{ id: string }>(
      sequelize(),
      `INSERT INTO oig_exclusions_check (trigger, status) VALUES ('manual', 'imported') RETURNING id`,
    );
    await execute(
      sequelize(),
      `INSERT INTO oig_exclusion_changes (check_id, exclusion_key, change)
       SELECT $checkId, exclusion_key, 'added' FROM oig_employees_exclusion WHERE exclusion_key LIKE $prefix`,
      { checkId: leieCheck?.id, prefix: `${tag}/%` },
    );
    await screenAddedExclusions(
      sequelize(),
      { kind: 'oig-import', checkId: leieCheck?.id as string },
      ALL_SOURCES,
    );
    for (const source of ['sam', 'pa_medicheck', 'ca_medi_cal']) {
      const check = await queryOne<{ id: string }>(
        sequelize(),
        `INSERT INTO exclusion_source_checks (source, trigger, status) VALUES ($source, 'manual', 'imported')
         RETURNING id`,
        { source },
      );
      await execute(
        sequelize(),
        `INSERT INTO exclusion_source_changes (check_id, exclusion_key, change)
         SELECT $checkId, exclusion_key, 'added' FROM exclusion_source_records
         WHERE source = $source AND exclusion_key LIKE $prefix`,
        { checkId: check?.id, source, prefix: `${tag}/%` },
      );
      await screenAddedExclusions(
        sequelize(),
        { kind: 'source-import', sourceId: source, checkId: check?.id as string },
        ALL_SOURCES,
      );
    }
    assert.deepEqual(await found(), expected, 'list import probes');
    return { tag, organizationId };
  } finally {
    await deleteLabeledSet(sequelize(), tag);
  }
}

describe('tolerant matching SQL (real Postgres, docs/spec.md §9)', () => {
  it('each tier matches with its reason, in every way of screening', async () => {
    await assertTable(TIERS);
  });

  it('the never-match rules and the edges of each rule hold, in every way of screening', async () => {
    await assertTable(NEVER);
  });

  it('bad names (empty, punctuation, suffixes, 500 characters, non-Latin scripts) match nothing and fail nothing', async () => {
    await assertTable(BAD);
  });

  it('the whole labeled set with the hash joins of a full rescreen: every variant, no near miss', async () => {
    const tag = `labeled-hash-${randomUUID()}`;
    const { pairs } = labeledSet();
    const organization = await createOrganization();
    try {
      await insertLabeledSet(sequelize(), organization.id, pairs, tag);
      await screenScope({ kind: 'organization', organizationId: organization.id }, 150, true);
      const score = await scoreLabeledSet(sequelize(), organization.id, pairs, tag);
      assert.deepEqual([score.missed, score.nearMissesMatched, score.crossMatches], [[], [], 0]);
    } finally {
      await deleteLabeledSet(sequelize(), tag);
    }
  });

  it('a match shows why: reason, score, the names compared and what agreed', async () => {
    const rows: Row[] = [
      TIERS[0] as Row,
      TIERS[5] as Row,
      TIERS[8] as Row,
      TIERS[13] as Row,
      TIERS[14] as Row,
      TIERS[15] as Row,
      TIERS[17] as Row,
    ];
    const { tag, pairs, organizationId } = await screenTable(rows);
    try {
      await screenScope({ kind: 'organization', organizationId });
      const matches = await query<{
        external_id: string;
        reason: string;
        score: string;
        explanation: unknown;
      }>(
        sequelize(),
        `SELECT e.external_id, m.reason, m.score::text, m.explanation FROM exclusion_matches m
         JOIN employees e ON e.id = m.employee_id
         WHERE m.organization_id = $organizationId AND m.exclusion_key LIKE $prefix ORDER BY e.external_id`,
        { organizationId, prefix: `${tag}/%` },
      );
      const byId = new Map(matches.map((m) => [m.external_id, m]));
      assert.equal(matches.length, pairs.length);
      assert.deepEqual(byId.get('npi')?.explanation, { agreed: ['npi'] });
      assert.equal(byId.get('npi')?.score, '1.00');
      assert.deepEqual(byId.get('alias_dob: maiden name alone')?.explanation, {
        personName: 'FAY XANTHOPOULOS',
        personNameIsPrimary: false,
        recordName: 'FAY XANTHOPOULOS',
        recordNameIsPrimary: true,
        agreed: ['first_name', 'last_name', 'date_of_birth'],
      });
      assert.deepEqual(byId.get('nickname_dob')?.explanation, {
        personName: 'BOB CASTELLANOS',
        personNameIsPrimary: true,
        recordName: 'ROBERT CASTELLANOS',
        recordNameIsPrimary: true,
        agreed: ['first_name_nickname', 'last_name', 'date_of_birth'],
      });
      assert.equal(byId.get('nickname_dob')?.score, '0.85');
      const agreed = (id: string) => (byId.get(id)?.explanation as { agreed?: string[] } | undefined)?.agreed;
      assert.deepEqual(agreed('fuzzy_dob swap of neighbours'), [
        'first_name',
        'last_name_one_edit',
        'date_of_birth',
      ]);
      assert.deepEqual(agreed('fuzzy_dob first/last swapped'), ['names_swapped', 'date_of_birth']);
      assert.deepEqual(agreed('fuzzy_dob day/month swapped'), [
        'first_name',
        'last_name',
        'date_of_birth_day_month_swapped',
      ]);
      assert.deepEqual(agreed('name: a list without DOBs'), ['first_name', 'last_name', 'middle_initial']);
      assert.equal(byId.get('name: a list without DOBs')?.score, '0.60');
    } finally {
      await deleteLabeledSet(sequelize(), tag);
    }
  });

  it('a better reason upgrades the match in place: same row, status, review and first detection', async () => {
    const rows: Row[] = [
      ['upgrade', 'name', person('Ines', 'Oberholzer', null), leie('INES', 'OBERHOLZER', '1990-04-05')],
    ];
    const { tag, organizationId } = await screenTable(rows);
    try {
      const scope: ScreeningScope = { kind: 'organization', organizationId };
      await screenScope(scope);
      const before = await queryOne<{ id: string; reason: string; first_detected_at: Date }>(
        sequelize(),
        `SELECT id, reason, first_detected_at FROM exclusion_matches WHERE organization_id = $organizationId`,
        { organizationId },
      );
      assert.equal(before?.reason, 'name');
      await execute(
        sequelize(),
        `UPDATE exclusion_matches SET status = 'confirmed', note = 'same person', reviewed_at = now() WHERE id = $id`,
        { id: before?.id },
      );
      // A DOB is added: name → name_dob.
      await execute(
        sequelize(),
        `UPDATE employees SET date_of_birth = '1990-04-05' WHERE organization_id = $organizationId`,
        { organizationId },
      );
      const counts = await screenScope(scope);
      assert.equal(counts.opened, 0, 'an upgrade opens nothing new');
      const after = await query<{
        id: string;
        reason: string;
        score: string;
        status: string;
        note: string;
        first_detected_at: Date;
      }>(
        sequelize(),
        `SELECT id, reason, score::text, status, note, first_detected_at FROM exclusion_matches
         WHERE organization_id = $organizationId`,
        { organizationId },
      );
      assert.equal(after.length, 1);
      assert.equal(after[0]?.id, before?.id);
      assert.equal(after[0]?.reason, 'name_dob');
      assert.equal(after[0]?.score, '0.95');
      assert.equal(after[0]?.status, 'confirmed');
      assert.equal(after[0]?.note, 'same person');
      assert.equal(after[0]?.first_detected_at.getTime(), before?.first_detected_at.getTime());
    } finally {
      await deleteLabeledSet(sequelize(), tag);
    }
  });

  it('the nickname table: a malformed line is skipped and counted, the good lines load and match', async () => {
    const table = parseNicknameCsv(
      [
        'name1,relationship,name2',
        'zebulonia,has_nickname,zebby',
        'garbage line without commas',
        'a,b',
        'quirinus,is_cousin_of,quinn',
        ',has_nickname,nobody',
        '1234,has_nickname,5678',
        'ottoline,has_nickname,otty,extra',
        '',
        'philippa,has_nickname,pippa',
      ].join('\r\n'),
    );
    assert.equal(table.skipped, 6);
    assert.deepEqual(table.pairs, [
      ['zebulonia', 'zebby'],
      ['philippa', 'pippa'],
    ]);
    const loaded = await loadNicknames(sequelize(), table);
    assert.equal(loaded.skipped, 6);
    const rows: Row[] = [
      [
        'loaded pair',
        'nickname_dob',
        person('Zebby', 'Quartermaine', '1991-05-06'),
        leie('ZEBULONIA', 'QUARTERMAINE', '1991-05-06'),
      ],
    ];
    try {
      await assertTable(rows);
    } finally {
      await execute(
        sequelize(),
        `DELETE FROM name_nicknames WHERE name IN ('ZEBULONIA','ZEBBY','PHILIPPA','PIPPA')`,
      );
    }
  });

  it('the shipped nickname table is loaded (ROBERT↔BOB, WILLIAM↔BILL)', async () => {
    const rows = await query<{ name: string; nickname: string }>(
      sequelize(),
      `SELECT name, nickname FROM name_nicknames WHERE (name, nickname) IN
         (('ROBERT','BOB'),('BOB','ROBERT'),('WILLIAM','BILL'),('BILL','WILLIAM')) ORDER BY name`,
    );
    assert.equal(rows.length, 4);
  });

  it('one edit apart (ale_one_edit): insert, delete, substitute, swap of neighbours — and nothing more', async () => {
    const cases: [string, string, boolean][] = [
      ['SMITH', 'SMYTH', true],
      ['SMITH', 'SMITHE', true],
      ['SMITHE', 'SMITH', true],
      ['SMITH', 'SMIHT', true],
      ['SMITH', 'MSITH', true],
      ['SMITH', 'SMITH', false],
      ['SMITH', 'SMYTHE', false],
      ['SMITH', 'MSIHT', false],
      ['SMITH', 'SMI', false],
      ['SMITH', 'HTIMS', false],
      ['ABC', 'ACB', true],
      ['A', '', true],
    ];
    const rows = await query<{ a: string; b: string; one: boolean }>(
      sequelize(),
      `SELECT c.a, c.b, ale_one_edit(c.a, c.b) AS one FROM unnest($a::text[], $b::text[]) AS c(a, b)`,
      { a: cases.map((c) => c[0]), b: cases.map((c) => c[1]) },
    );
    assert.deepEqual(
      rows.map((row) => [row.a, row.b, row.one]),
      cases,
    );
  });

  it('the reasons of the database constraint are those of the API (domain/match-reasons.ts)', async () => {
    const row = await queryOne<{ def: string }>(
      sequelize(),
      `SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conname = 'exclusion_matches_reason_check'`,
    );
    const reasons = [...(row?.def ?? '').matchAll(/'([a-z_]+)'/g)].map((m) => m[1]);
    assert.deepEqual([...reasons].sort(), [...MATCH_REASONS].sort());
  });
});
