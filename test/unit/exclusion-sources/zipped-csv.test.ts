import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { ExclusionSourceFailureType } from '../../../domain/exclusion-sources/failures';
import { ExclusionListReader } from '../../../domain/exclusion-sources/read-list';
import { samAdapter } from '../../../domain/exclusion-sources/sam';
import {
  MAX_CSV_UNCOMPRESSED_BYTES,
  openZippedCsv,
  type ZippedCsvOptions,
} from '../../../domain/exclusion-sources/zipped-csv';
import { SAM_CSV_NAME, zipBuffer } from '../../../scripts/generate-exclusion-source';
import { fixture } from './read-all';

const label = 'SAM.gov Exclusions';
const MiB = 1024 * 1024;

/** `bytes` zeros as a stream: a bomb's content, never in memory whole. */
function zeros(bytes: number): Readable {
  return Readable.from(
    (function* () {
      for (let left = bytes; left > 0; left -= MiB) yield Buffer.alloc(Math.min(MiB, left), 0x30);
    })(),
    { objectMode: false },
  );
}

/** Rewrites a 32-bit field of the first central directory entry (offset from its signature). */
function patchCentralDirectory(zip: Buffer, offset: number, value: number): Buffer {
  const copy = Buffer.from(zip);
  const eocd = copy.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const directory = copy.readUInt32LE(eocd + 16);
  copy.writeUInt32LE(value >>> 0, directory + offset);
  return copy;
}
const CRC = 16;
const UNCOMPRESSED_SIZE = 24;

async function inflate(zip: Buffer, options: Partial<ZippedCsvOptions> = {}): Promise<Buffer> {
  const csv = await openZippedCsv(zip, { label, ...options });
  const chunks: Buffer[] = [];
  for await (const chunk of csv.stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function failureOf(work: Promise<unknown>): Promise<{ type: string; message: string }> {
  try {
    await work;
  } catch (error) {
    return error as { type: string; message: string };
  }
  return assert.fail('no error');
}

describe('the one CSV of a list ZIP', () => {
  const csv = fixture('sam.csv');

  it('yields the CSV, which reads as the extract', async () => {
    const zip = await zipBuffer([{ name: SAM_CSV_NAME, content: csv }]);
    const opened = await openZippedCsv(zip, { label });
    assert.equal(opened.name, SAM_CSV_NAME);
    assert.equal(opened.bytes, csv.length);
    const reader = new ExclusionListReader(samAdapter);
    let records = 0;
    for await (const batch of reader.read(opened.stream)) records += batch.length;
    assert.equal(records, 8);
    assert.equal(reader.rejectedCount, 3);
  });

  const accepted: [string, Parameters<typeof zipBuffer>[0]][] = [
    ['a stored (uncompressed) CSV', [{ name: 'list.csv', content: csv, compress: false }]],
    [
      'a CSV streamed into the ZIP (sizes after the data)',
      [{ name: 'list.csv', content: Readable.from([csv]) }],
    ],
    [
      'a CSV beside a readme, a folder and macOS resource forks',
      [
        { name: 'README.txt', content: 'read me' },
        { name: 'data/', content: '' },
        { name: 'data/list.CSV', content: csv },
        { name: '__MACOSX/data/._list.CSV', content: 'fork' },
        { name: 'data/.hidden.csv', content: 'x' },
      ],
    ],
  ];
  for (const [what, entries] of accepted) {
    it(`reads ${what}`, async () => assert.deepEqual(await inflate(await zipBuffer(entries)), csv));
  }

  const refused: [string, () => Promise<Buffer>, string, RegExp][] = [
    [
      'an HTML page where the ZIP is expected',
      async () => Buffer.from('<!DOCTYPE html>\n<html><body>Please sign in</body></html>'),
      ExclusionSourceFailureType.notZip,
      /HTML\/XML page where a ZIP is expected/,
    ],
    [
      'a CSV where the ZIP is expected',
      async () => csv,
      ExclusionSourceFailureType.notZip,
      /not a ZIP archive/,
    ],
    ['an empty download', async () => Buffer.alloc(0), ExclusionSourceFailureType.notZip, /empty/],
    [
      'a ZIP holding no CSV',
      () => zipBuffer([{ name: 'README.txt', content: 'no list today' }]),
      ExclusionSourceFailureType.noCsvInZip,
      /holds no CSV/,
    ],
    ['an empty ZIP', () => zipBuffer([]), ExclusionSourceFailureType.noCsvInZip, /holds no CSV/],
    [
      'a ZIP holding two CSVs',
      () =>
        zipBuffer([
          { name: 'a.csv', content: csv },
          { name: 'b.CSV', content: csv },
        ]),
      ExclusionSourceFailureType.manyCsvInZip,
      /2 CSV files \(a\.csv, b\.CSV\)/,
    ],
    [
      'a truncated ZIP',
      async () => {
        const zip = await zipBuffer([{ name: 'list.csv', content: csv }]);
        return zip.subarray(0, zip.length - 30);
      },
      ExclusionSourceFailureType.corruptZip,
      /corrupt/,
    ],
  ];
  for (const [what, body, type, message] of refused) {
    it(`refuses ${what}`, async () => {
      const error = await failureOf(inflate(await body()));
      assert.equal(error.type, type);
      assert.match(error.message, message);
      assert.match(error.message, /^SAM\.gov Exclusions: /);
    });
  }

  it('refuses a ZIP whose data is damaged (inflate error or CRC)', async () => {
    const zip = await zipBuffer([{ name: 'list.csv', content: csv }]);
    // The deflated data starts after the 30-byte local header and the name.
    for (const at of [30 + 'list.csv'.length + 5, 30 + 'list.csv'.length + 40]) {
      const damaged = Buffer.from(zip);
      damaged[at] = (damaged[at] as number) ^ 0xff;
      const error = await failureOf(inflate(damaged));
      assert.equal(error.type, ExclusionSourceFailureType.corruptZip, `byte ${at}: ${error.message}`);
    }
  });

  it('refuses a CSV whose CRC differs from the ZIP’s', async () => {
    const zip = await zipBuffer([{ name: 'list.csv', content: csv }]);
    const error = await failureOf(inflate(patchCentralDirectory(zip, CRC, 12345)));
    assert.equal(error.type, ExclusionSourceFailureType.corruptZip);
    assert.match(error.message, /CRC/);
  });

  describe('ZIP bombs', () => {
    const cap = MiB;
    let bomb: Buffer;
    before(async () => {
      bomb = await zipBuffer([{ name: 'list.csv', content: zeros(64 * MiB) }]);
    });

    it('is a real bomb: 64 MiB in a ZIP of well under 1 % of that', () =>
      assert.ok(bomb.length < 0.01 * 64 * MiB));

    it('refuses a CSV that declares more than the cap, without inflating it', async () => {
      const error = await failureOf(openZippedCsv(bomb, { label, maxUncompressedBytes: cap }));
      assert.equal(error.type, ExclusionSourceFailureType.tooLarge);
      assert.match(error.message, /list\.csv would inflate to 64 MiB, more than the cap of 1 MiB/);
    });

    it('stops a CSV that inflates past the size its header states (a lying header)', async () => {
      const lying = patchCentralDirectory(bomb, UNCOMPRESSED_SIZE, 1000);
      const opened = await openZippedCsv(lying, { label, maxUncompressedBytes: cap });
      let delivered = 0;
      const error = await failureOf(
        (async () => {
          for await (const chunk of opened.stream) delivered += (chunk as Buffer).length;
        })(),
      );
      assert.equal(error.type, ExclusionSourceFailureType.tooLarge);
      assert.match(error.message, /more than the 1000 bytes its ZIP header states/);
      assert.ok(delivered <= 1000, `${delivered} bytes were passed on`);
    });

    it('applies the stated cap by default', async () => {
      const zip = await zipBuffer([{ name: 'list.csv', content: csv }]);
      const error = await failureOf(
        openZippedCsv(patchCentralDirectory(zip, UNCOMPRESSED_SIZE, MAX_CSV_UNCOMPRESSED_BYTES + 1), {
          label,
        }),
      );
      assert.equal(error.type, ExclusionSourceFailureType.tooLarge);
      assert.match(error.message, /cap of 512 MiB/);
    });

    it('refuses a CSV that inflates to less than its header states', async () => {
      const zip = await zipBuffer([{ name: 'list.csv', content: csv }]);
      const error = await failureOf(inflate(patchCentralDirectory(zip, UNCOMPRESSED_SIZE, csv.length + 10)));
      assert.equal(error.type, ExclusionSourceFailureType.corruptZip);
      assert.match(
        error.message,
        new RegExp(`inflates to ${csv.length} bytes, its ZIP header states ${csv.length + 10}`),
      );
    });
  });
});
