import assert from 'node:assert/strict';
import { ExclusionListReader, type ListRecord } from '../../../domain/exclusion-sources/read-list';
import { samAdapter } from '../../../domain/exclusion-sources/sam';
import type { ExclusionSourceAdapter } from '../../../domain/exclusion-sources/source';
import { RecordHashMultiset } from '../../../domain/leie-record-hashes';
import { chunked, fixture } from './read-all';

/**
 * A record the list holds byte for byte is recognised before it is parsed (read-list.ts `keep`):
 * the reader's side of a month's sync, where most of the file is the list in force.
 */

/** Reads `bytes`, taking from `list` what it holds; the records it yields and the reader. */
async function read(bytes: Buffer, list: RecordHashMultiset, adapter: ExclusionSourceAdapter = samAdapter) {
  const reader = new ExclusionListReader(adapter);
  const records: ListRecord[] = [];
  for await (const batch of reader.read(chunked(bytes, 13), { keep: (hash) => list.take(hash) >= 0 }))
    records.push(...batch);
  return { records, reader };
}

/** The list a sync of `bytes` leaves: the hashes of every record it read. */
async function listOf(bytes: Buffer): Promise<RecordHashMultiset> {
  const { records } = await read(bytes, new RecordHashMultiset(Buffer.alloc(0)));
  assert.ok(
    records.every((item) => item.hash !== undefined),
    'every record of a regular file has its hash',
  );
  return new RecordHashMultiset(
    Buffer.concat(records.map((item) => Buffer.from(item.hash as string, 'latin1'))),
  );
}

const sam = fixture('sam.csv');
const lines = sam.toString('utf8').split('\n');

describe('records the list holds as they are (read-list.ts keep)', () => {
  it('keeps every record of the same file unparsed, and counts them', async () => {
    const first = await read(sam, new RecordHashMultiset(Buffer.alloc(0)));
    const { records, reader } = await read(sam, await listOf(sam));
    assert.deepEqual(records, []);
    assert.equal(reader.kept, first.records.length);
    assert.equal(reader.records, first.records.length);
    assert.equal(reader.rows, first.reader.rows);
    assert.equal(
      reader.rejectedCount,
      first.reader.rejectedCount,
      'rejected rows are read again and counted',
    );
  });

  it('parses only the records that changed or are new, each with its row in the file', async () => {
    const list = await listOf(sam);
    const changed = [...lines];
    changed[2] = (changed[2] as string).replace('100 SAMPLE ROAD', '200 OTHER ROAD');
    changed.splice(4, 0, (changed[1] as string).replace('SAMPLE', 'NEWCOMER'));
    const { records, reader } = await read(Buffer.from(changed.join('\n')), list);
    assert.deepEqual(
      records.map((item) => [item.row, item.record.lastName, item.record.firstName]),
      [
        [3, 'TESTCASE', 'DEMO'],
        [5, 'EXAMPLEPERSON', 'NEWCOMER'],
      ],
    );
    const untaken = list.untaken();
    assert.equal(untaken.length, 1, 'the changed record’s old version is the one left in the list');
    assert.equal(reader.kept, reader.records - 2);
  });

  it('reads every record again when the header changes (another column order reads the same bytes otherwise)', async () => {
    const list = await listOf(sam);
    const header = (lines[0] as string).replace('"Address 1","Address 2"', '"Address 2","Address 1"');
    const { records, reader } = await read(Buffer.from([header, ...lines.slice(1)].join('\n')), list);
    assert.equal(reader.kept, 0);
    assert.equal(records.length, reader.records);
  });

  it('reads every record again under another adapter revision', async () => {
    const list = await listOf(sam);
    const revised: ExclusionSourceAdapter = { ...samAdapter, revision: samAdapter.revision + 1 };
    const { records, reader } = await read(sam, list, revised);
    assert.equal(reader.kept, 0);
    assert.ok(records.length > 0);
  });

  it('gives each copy of a record the file repeats byte for byte its own hash', async () => {
    const thrice = Buffer.from([...lines.slice(0, 2), lines[1], lines[1], ...lines.slice(2)].join('\n'));
    const { records } = await read(thrice, new RecordHashMultiset(Buffer.alloc(0)));
    const copies = records.filter((item) => item.record.firstName === 'SAMPLE');
    assert.equal(copies.length, 3);
    assert.equal(new Set(copies.map((item) => item.hash)).size, 3);
  });

  it('numbers rows on after a turn to pass-through, counting the kept records before it', async () => {
    const list = await listOf(sam);
    const broken = [...lines];
    broken.splice(3, 0, '"Individual"x,"",""');
    const { reader } = await read(Buffer.from(broken.join('\n')), list).catch((error) => {
      throw error;
    });
    assert.equal(reader.rejections[0]?.row, 4, 'the broken line is the file’s fourth record');
  });

  it('keeps a record repeated in the file as often as the list holds it', async () => {
    const twice = Buffer.from([...lines.slice(0, 2), lines[1], ...lines.slice(2)].join('\n'));
    const list = await listOf(sam);
    const { records } = await read(twice, list);
    assert.equal(records.length, 1, 'the second copy is new to a list that holds it once');
    assert.equal(records[0]?.row, 3);
  });
});
