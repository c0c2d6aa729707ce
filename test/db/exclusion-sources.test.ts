import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  closeSourceImportSession,
  openSourceImportSession,
  readSourceHashes,
  ShortListError,
  SourceStagingCopy,
  swapSourceList,
} from '../../db/exclusion-source-import';
import {
  countSourceRecords,
  findLastSourceImport,
  searchAllExclusions,
} from '../../db/exclusion-source-store';
import {
  FIRST_EMPLOYEE_ID,
  nextChunk,
  resolveLapsedMatches,
  screenAddedExclusions,
  screenChunk,
} from '../../db/screening-store';
import { execute, query } from '../../db/sql';
import { caMediCalAdapter } from '../../domain/exclusion-sources/ca-medi-cal';
import { ExclusionListReader } from '../../domain/exclusion-sources/read-list';
import type { ExclusionRecord } from '../../domain/exclusion-sources/source';
import type { ScreeningScope } from '../../lib/workflow-contracts';
import { deleteLeieRows, insertLeieRows, insertPeople, leieTag } from '../fixtures/screening';
import { createOrganization } from '../support/fixtures';
import { stack } from '../support/stack';
import { fixture } from '../unit/exclusion-sources/read-all';

/** The list these tests own: nothing else in a test run writes `ca_medi_cal` records directly. */
const SOURCE = 'ca_medi_cal';

function record(key: string, fields: Partial<ExclusionRecord> = {}): ExclusionRecord {
  return {
    exclusionKey: key,
    entityKind: 'individual',
    firstName: null,
    middleName: null,
    lastName: null,
    businessName: null,
    aliases: [],
    npi: null,
    dob: null,
    state: null,
    exclusionType: null,
    startsOn: null,
    endsOn: null,
    ...fields,
  };
}

/** Stages `records` with COPY and swaps them in, as the sync's activity does. */
async function load(records: ExclusionRecord[], force = false) {
  const session = await openSourceImportSession(stack().config.DATABASE_URL);
  try {
    const copy = await SourceStagingCopy.begin(session, await readSourceHashes(session, SOURCE));
    for (const item of records) await copy.add(item);
    const staged = await copy.end();
    const checkId = randomUUID();
    const swap = await swapSourceList(session, {
      record: { checkId, sourceId: SOURCE, trigger: 'manual', workflowId: 'test', startedAt: Date.now() },
      force,
      staged,
    });
    return { checkId, ...swap };
  } finally {
    await closeSourceImportSession(session);
  }
}

/** Reads a CA Medi-Cal file with the real reader and loads it as the sync does (records the list holds kept unparsed). */
async function loadFile(csv: string) {
  const session = await openSourceImportSession(stack().config.DATABASE_URL);
  try {
    const copy = await SourceStagingCopy.begin(session, await readSourceHashes(session, SOURCE));
    const reader = new ExclusionListReader(caMediCalAdapter);
    for await (const batch of reader.read(Readable.from([Buffer.from(csv)]), { keep: (h) => copy.keep(h) }))
      for (const { record, hash } of batch) await copy.add(record, hash);
    const staged = await copy.end();
    const record = {
      checkId: randomUUID(),
      sourceId: SOURCE,
      trigger: 'manual' as const,
      workflowId: 'test',
      startedAt: Date.now(),
    };
    return await swapSourceList(session, { record, force: true, staged });
  } finally {
    await closeSourceImportSession(session);
  }
}

async function screenOrganization(organizationId: string) {
  const scope: ScreeningScope = { kind: 'organization', organizationId };
  const sequelize = stack().sequelize;
  const lapsed = await resolveLapsedMatches(sequelize, scope);
  let after = FIRST_EMPLOYEE_ID;
  for (;;) {
    const chunk = await nextChunk(sequelize, scope, after, 100);
    if (!chunk) break;
    await screenChunk(sequelize, scope, chunk);
    if (chunk.upto === null) break;
    after = chunk.upto;
  }
  return lapsed;
}

async function matches(organizationId: string) {
  return query<{
    employee_id: string;
    source: string;
    exclusion_key: string;
    reason: string;
    status: string;
    resolution: string | null;
  }>(
    stack().sequelize,
    `SELECT employee_id, source, exclusion_key, reason, status, resolution FROM exclusion_matches
      WHERE organization_id = $organizationId ORDER BY source, exclusion_key`,
    { organizationId },
  );
}

const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
const nextYear = new Date(Date.now() + 365 * 86_400_000).toISOString().slice(0, 10);

const LIST = [
  record('k-person', {
    firstName: 'Quentin',
    lastName: 'Marlowe-Finch',
    npi: '1234567893',
    aliases: ['QUINN FINCH'],
  }),
  record('k-firm', {
    entityKind: 'business',
    lastName: 'Ostrander',
    firstName: 'Bella',
    businessName: 'Ostrander Bella LLC',
  }),
  record('k-ended', { firstName: 'Cyril', lastName: 'Vandermeer', endsOn: yesterday }),
  record('k-ending', { firstName: 'Dora', lastName: 'Pemberton', endsOn: nextYear, state: 'CA' }),
  record('k-spare1', { firstName: 'Spare', lastName: 'One' }),
  record('k-spare2', { firstName: 'Spare', lastName: 'Two' }),
  record('k-spare3', { firstName: 'Spare', lastName: 'Three' }),
  record('k-spare4', { firstName: 'Spare', lastName: 'Four' }),
  record('k-spare5', { firstName: 'Spare', lastName: 'Five' }),
  record('k-spare6', { firstName: 'Spare', lastName: 'Six' }),
];

describe('exclusion sources: generic records, swap and screening (real Postgres, docs/spec.md §8)', () => {
  const tag = leieTag();

  before(async () => {
    await execute(stack().sequelize, 'DELETE FROM exclusion_source_records WHERE source = $source', {
      source: SOURCE,
    });
  });
  after(async () => {
    await execute(stack().sequelize, 'DELETE FROM exclusion_source_records WHERE source = $source', {
      source: SOURCE,
    });
    await deleteLeieRows(tag);
  });

  it('swaps a staged list in: counts, added keys logged, a repeated key counted once', async () => {
    const first = await load([...LIST, record('k-spare6', { firstName: 'Duplicate' })]);
    assert.deepEqual(
      { rowCount: first.rowCount, added: first.added, removed: first.removed },
      {
        rowCount: LIST.length,
        added: LIST.length,
        removed: 0,
      },
    );
    assert.equal(await countSourceRecords(stack().sequelize, SOURCE), LIST.length);
    const lastImport = await findLastSourceImport(stack().sequelize, SOURCE);
    assert.equal(lastImport?.id, first.checkId);
    assert.equal(lastImport?.row_count, LIST.length);
    const [spare] = await query<{ first_name: string }>(
      stack().sequelize,
      `SELECT first_name FROM exclusion_source_records WHERE source = $source AND exclusion_key = 'k-spare6'`,
      { source: SOURCE },
    );
    assert.equal(spare?.first_name, 'Spare', 'the first record of a repeated key wins');
  });

  it('refuses a list shorter than 90 % of the current one, keeps it, and takes it when forced', async () => {
    const short = LIST.filter((item) => item.exclusionKey !== 'k-spare1' && item.exclusionKey !== 'k-spare2');
    await assert.rejects(
      load(short),
      (error: unknown) => error instanceof ShortListError && /fewer than 90 %/.test((error as Error).message),
    );
    assert.equal(
      await countSourceRecords(stack().sequelize, SOURCE),
      LIST.length,
      'the current list stays in force',
    );
    await assert.rejects(load([]), ShortListError, 'an empty file is never taken, forced or not');
    const forced = await load(short, true);
    assert.deepEqual([forced.added, forced.removed, forced.rowCount], [0, 2, short.length]);
    await load(LIST, true);
  });

  it('rewrites only the records whose content changed (record hashes): the others are not touched', async () => {
    const versions = async () =>
      new Map(
        (
          await query<{ exclusion_key: string; version: string; hashed: boolean }>(
            stack().sequelize,
            `SELECT exclusion_key, xmin::text AS version, record_hash IS NOT NULL AS hashed
             FROM exclusion_source_records WHERE source = $source`,
            { source: SOURCE },
          )
        ).map((row) => [row.exclusion_key, row]),
      );
    // A row written before record hashes existed (migration 1250) has none: rewritten once.
    await execute(
      stack().sequelize,
      `UPDATE exclusion_source_records SET record_hash = NULL WHERE source = $source AND exclusion_key = 'k-spare6'`,
      { source: SOURCE },
    );
    const before = await versions();
    const changed = LIST.map((item) => (item.exclusionKey === 'k-spare5' ? { ...item, state: 'NV' } : item));
    const swap = await load([...changed, record('k-spare7', { firstName: 'Spare', lastName: 'Seven' })]);
    assert.deepEqual([swap.added, swap.removed, swap.rowCount], [1, 0, LIST.length + 1]);
    const after = await versions();
    const rewritten = [...before.keys()].filter(
      (key) => after.get(key)?.version !== before.get(key)?.version,
    );
    assert.deepEqual(rewritten.sort(), ['k-spare5', 'k-spare6'], 'only the changed and the unhashed rows');
    assert.ok(
      [...after.values()].every((row) => row.hashed),
      'every row has its hash now',
    );
    const [spare5] = await query<{ state: string }>(
      stack().sequelize,
      `SELECT state FROM exclusion_source_records WHERE source = $source AND exclusion_key = 'k-spare5'`,
      { source: SOURCE },
    );
    assert.equal(spare5?.state, 'NV');
    const back = await load(LIST);
    assert.deepEqual([back.added, back.removed, back.rowCount], [0, 1, LIST.length]);
  });

  it('numbers on a new record that repeats the identity of a kept one; a kept record keeps its key', async () => {
    const rows = async () =>
      (
        await query<{ exclusion_key: string; state: string | null; version: string }>(
          stack().sequelize,
          `SELECT exclusion_key, state, xmin::text AS version FROM exclusion_source_records
           WHERE source = $source AND exclusion_key LIKE 'k-twin%' ORDER BY exclusion_key`,
          { source: SOURCE },
        )
      ).map(({ exclusion_key, state, version }) => ({ key: exclusion_key, state, version }));
    const twin = record('k-twin', { firstName: 'Tess', lastName: 'Twin', state: 'OR' });
    // The same identity (so the same key) with another address: the file's second record of it.
    const other = { ...twin, state: 'WA' };
    await load([...LIST, twin]);
    const [kept] = await rows();
    const swap = await load([...LIST, twin, other]);
    assert.deepEqual([swap.added, swap.removed], [1, 0]);
    const after = await rows();
    assert.deepEqual(
      after.map(({ key, state }) => ({ key, state })),
      [
        { key: 'k-twin', state: 'OR' },
        { key: 'k-twin#2', state: 'WA' },
      ],
    );
    assert.equal(after[0]?.version, kept?.version, 'the kept record is not rewritten');
    // The first leaves the list; the second, unchanged, keeps its key (and the decisions on it).
    const left = await load([...LIST, other]);
    assert.deepEqual([left.added, left.removed], [0, 1]);
    assert.deepEqual(
      (await rows()).map(({ key, state }) => ({ key, state })),
      [{ key: 'k-twin#2', state: 'WA' }],
    );
    await load(LIST, true);
  });

  it('keeps the copy a file still holds of a record it repeated byte for byte, and drops only the other', async () => {
    const [header, jordan, , casey] = fixture('ca-medi-cal.csv').toString().split('\n');
    const rows = async () =>
      (
        await query<{ exclusion_key: string; first_name: string }>(
          stack().sequelize,
          `SELECT exclusion_key, first_name FROM exclusion_source_records WHERE source = $source ORDER BY exclusion_key`,
          { source: SOURCE },
        )
      )
        .map((row) => row.exclusion_key.replace(/^[0-9a-f]{64}/, row.first_name))
        .sort();
    const twice = await loadFile([header, jordan, casey, jordan, ''].join('\n'));
    assert.deepEqual([twice.rowCount, twice.added], [3, 3]);
    assert.deepEqual(await rows(), ['CASEY', 'JORDAN', 'JORDAN#2']);
    const once = await loadFile([header, jordan, casey, ''].join('\n'));
    assert.deepEqual([once.rowCount, once.added, once.removed], [2, 0, 1]);
    assert.deepEqual(await rows(), ['CASEY', 'JORDAN'], 'the first copy stays; the second left');
    const again = await loadFile([header, casey, jordan, jordan, ''].join('\n'));
    assert.deepEqual([again.rowCount, again.added, again.removed], [3, 1, 0]);
    assert.deepEqual(await rows(), ['CASEY', 'JORDAN', 'JORDAN#2']);
    await load(LIST, true);
  });

  it('keeps the keys of a repeated identity stable in a file that turns to pass-through midway', async () => {
    const [header, jordan, , casey, sam] = fixture('ca-medi-cal.csv').toString().split('\n');
    const moved = (jordan as string).replace('1 EXAMPLE AVE', '9 OTHER AVE');
    // A closing quote followed by text: the reader hands the rest of the file to csv-parse as it is.
    const broken = '"SAMPLERSON"x,JORDAN';
    const keys = async () =>
      (
        await query<{ exclusion_key: string }>(
          stack().sequelize,
          `SELECT exclusion_key FROM exclusion_source_records WHERE source = $source ORDER BY 1`,
          { source: SOURCE },
        )
      ).map((row) => row.exclusion_key);
    await loadFile([header, jordan, ''].join('\n'));
    const file = [header, moved, jordan, broken, moved];
    await loadFile([...file, ''].join('\n'));
    const before = await keys();
    assert.equal(before.length, 3);
    const next = await loadFile([...file, casey, sam, ''].join('\n'));
    assert.deepEqual([next.added, next.removed], [2, 0], 'only the two new records');
    assert.deepEqual(
      (await keys()).filter((key) => before.includes(key)),
      before,
      'every record the file still holds keeps its key',
    );
    await load(LIST, true);
  });

  it('reads the list under the source lock: without waiting, nothing while another import holds it', async () => {
    const holder = await openSourceImportSession(stack().config.DATABASE_URL);
    const other = await openSourceImportSession(stack().config.DATABASE_URL);
    try {
      const held = await readSourceHashes(holder, SOURCE, { wait: false });
      assert.equal(held?.records, LIST.length);
      assert.equal(await readSourceHashes(other, SOURCE, { wait: false }), null);
      const waiting = readSourceHashes(other, SOURCE);
      const first = await Promise.race([waiting.then(() => 'read'), sleep(300).then(() => 'waiting')]);
      assert.equal(first, 'waiting', 'the waiting read waits for the holder');
      await closeSourceImportSession(holder);
      assert.equal((await waiting).records, LIST.length);
    } finally {
      await closeSourceImportSession(holder);
      await closeSourceImportSession(other);
    }
  });

  it('screens people against the list: individuals in force only, each match with its source, beside the LEIE', async () => {
    await insertLeieRows([{ label: 'leie-quentin', lastname: 'MARLOWE-FINCH', firstname: 'QUENTIN' }], tag);
    const organization = await createOrganization();
    const people = await insertPeople(organization.id, [
      { label: 'quentin', firstName: 'Quentin', lastName: 'Finch', dateOfBirth: '1970-01-01' },
      { label: 'bella', firstName: 'Bella', lastName: 'Ostrander' },
      { label: 'cyril', firstName: 'Cyril', lastName: 'Vandermeer' },
      { label: 'dora', firstName: 'Dora', lastName: 'Pemberton', dateOfBirth: '1980-02-02' },
      { label: 'npi-only', firstName: 'Someone', lastName: 'Else', npi: '1234567893' },
    ]);
    await screenOrganization(organization.id);
    const label = new Map([...people].map(([name, id]) => [id, name]));
    const found = (await matches(organization.id)).map((m) => [
      label.get(m.employee_id),
      m.source,
      m.exclusion_key,
      m.reason,
    ]);
    assert.deepEqual(
      found
        .filter(([, source]) => source === SOURCE)
        .map((row) => row.join(' '))
        .sort(),
      [`dora ${SOURCE} k-ending name`, `npi-only ${SOURCE} k-person npi`, `quentin ${SOURCE} k-person name`],
    );
    assert.ok(
      found.some(([who, source]) => who === 'quentin' && source === 'leie'),
      'the same person matches the LEIE too: one match per source',
    );
    assert.ok(!found.some(([who]) => who === 'bella' || who === 'cyril'), 'no firm, no ended record');

    // A disabled source neither matches nor resolves.
    const other = await createOrganization();
    await insertPeople(other.id, [{ label: 'dora2', firstName: 'Dora', lastName: 'Pemberton' }]);
    const scope: ScreeningScope = { kind: 'organization', organizationId: other.id };
    const chunk = await nextChunk(stack().sequelize, scope, FIRST_EMPLOYEE_ID, 100);
    assert.ok(chunk);
    await screenChunk(stack().sequelize, scope, chunk, ['leie']);
    assert.deepEqual(await matches(other.id), []);
  });

  it('a list update rescreens only its added keys, and resolves matches whose record left the list', async () => {
    const organization = await createOrganization();
    const people = await insertPeople(organization.id, [
      { label: 'newcomer', firstName: 'Ottilie', lastName: 'Brandvold' },
      { label: 'dora', firstName: 'Dora', lastName: 'Pemberton' },
    ]);
    await screenOrganization(organization.id);
    assert.equal((await matches(organization.id)).length, 1, 'dora only');

    const grown = await load([...LIST, record('k-new', { firstName: 'Ottilie', lastName: 'Brandvold' })]);
    const counts = await screenAddedExclusions(stack().sequelize, {
      kind: 'source-import',
      sourceId: SOURCE,
      checkId: grown.checkId,
    });
    assert.equal(counts?.opened, 1);
    const newcomer = (await matches(organization.id)).find((m) => m.employee_id === people.get('newcomer'));
    assert.equal(newcomer?.source, SOURCE);
    assert.equal(newcomer?.exclusion_key, 'k-new');

    const shrunk = await load(
      LIST.filter((item) => item.exclusionKey !== 'k-ending'),
      true,
    );
    const resolved = await resolveLapsedMatches(stack().sequelize, {
      kind: 'source-import',
      sourceId: SOURCE,
      checkId: shrunk.checkId,
    });
    assert.ok(resolved >= 1);
    const dora = (await matches(organization.id)).find((m) => m.employee_id === people.get('dora'));
    assert.deepEqual([dora?.status, dora?.resolution], ['resolved', 'removed_from_list']);
  });

  it('searches every list at once: by alias, by state, by source; each row says its source', async () => {
    const sequelize = stack().sequelize;
    const all = ['leie', 'sam', 'pa_medicheck', 'ca_medi_cal'];
    const byAlias = await searchAllExclusions(sequelize, { q: 'quinn finch', sources: all }, 10, undefined);
    assert.deepEqual(
      byAlias.map((row) => [row.source, row.exclusion_key]),
      [[SOURCE, 'k-person']],
    );
    const both = await searchAllExclusions(
      sequelize,
      { q: 'marlowe finch quentin', sources: all },
      10,
      undefined,
    );
    assert.deepEqual(both.map((row) => row.source).sort(), [SOURCE, 'leie']);
    const onlyLeie = await searchAllExclusions(
      sequelize,
      { q: 'marlowe finch', sources: ['leie'] },
      10,
      undefined,
    );
    assert.deepEqual(
      onlyLeie.map((row) => row.source),
      ['leie'],
    );
    const byState = await searchAllExclusions(
      sequelize,
      { state: 'CA', q: 'spare', sources: [SOURCE] },
      10,
      undefined,
    );
    assert.deepEqual(byState, []);
  });
});
