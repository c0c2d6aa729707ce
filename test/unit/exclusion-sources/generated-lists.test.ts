import assert from 'node:assert/strict';
import type { Readable } from 'node:stream';
import { caMediCalAdapter } from '../../../domain/exclusion-sources/ca-medi-cal';
import { paMedicheckAdapter } from '../../../domain/exclusion-sources/pa-medicheck';
import { ExclusionListReader } from '../../../domain/exclusion-sources/read-list';
import { samAdapter } from '../../../domain/exclusion-sources/sam';
import type { ExclusionRecord, ExclusionSourceAdapter } from '../../../domain/exclusion-sources/source';
import { openZippedCsv } from '../../../domain/exclusion-sources/zipped-csv';
import {
  caMediCalCsv,
  type GenerateOptions,
  paMedicheckCsv,
  SAM_CSV_NAME,
  samExtractZip,
} from '../../../scripts/generate-exclusion-source';

async function bytesOf(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

async function recordsOf(adapter: ExclusionSourceAdapter, csv: Readable) {
  const reader = new ExclusionListReader(adapter);
  const records: ExclusionRecord[] = [];
  for await (const batch of reader.read(csv)) records.push(...batch.map((r) => r.record));
  return { records, reader };
}

const include = [{ firstName: 'SAMPLE', lastName: 'PERSON', npi: '1234567893' }];

const lists: [string, ExclusionSourceAdapter, (options: GenerateOptions) => Promise<Readable>][] = [
  [
    'a SAM extract ZIP',
    samAdapter,
    async (options) => {
      const zip = await openZippedCsv(await bytesOf(samExtractZip(options)), { label: 'SAM' });
      assert.equal(zip.name, SAM_CSV_NAME);
      return zip.stream;
    },
  ],
  ['a Pennsylvania Medicheck CSV', paMedicheckAdapter, async (options) => paMedicheckCsv(options)],
  ['a California Medi-Cal CSV', caMediCalAdapter, async (options) => caMediCalCsv(options)],
];

describe('generated lists (scripts/generate-exclusion-source.ts)', () => {
  for (const [what, adapter, generate] of lists) {
    it(`writes ${what} its adapter reads whole, the included people first`, async () => {
      const { records, reader } = await recordsOf(adapter, await generate({ rows: 3000, seed: 7, include }));
      assert.equal(reader.rows, 3000);
      assert.deepEqual(reader.rejections, []);
      assert.deepEqual(
        [records[0]?.firstName, records[0]?.lastName, records[0]?.npi],
        ['SAMPLE', 'PERSON', '1234567893'],
      );
      assert.ok(records.some((r) => r.entityKind === 'business'));
      assert.ok(records.some((r) => r.aliases.length > 0));
      if (adapter !== caMediCalAdapter)
        assert.ok(records.some((r) => r.endsOn !== null && r.endsOn < '2026-01-01'));
    });

    it(`writes ${what} the same for the same seed, another for another`, async () => {
      const text = async (seed: number) =>
        (await recordsOf(adapter, await generate({ rows: 200, seed }))).records
          .map((r) => r.exclusionKey)
          .join();
      assert.equal(await text(1), await text(1));
      assert.notEqual(await text(1), await text(2));
    });
  }
});
