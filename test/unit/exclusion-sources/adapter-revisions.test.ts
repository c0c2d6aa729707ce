import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { caMediCalAdapter } from '../../../domain/exclusion-sources/ca-medi-cal';
import { leieAdapter } from '../../../domain/exclusion-sources/leie';
import { paMedicheckAdapter } from '../../../domain/exclusion-sources/pa-medicheck';
import { samAdapter } from '../../../domain/exclusion-sources/sam';
import type { ExclusionSourceAdapter } from '../../../domain/exclusion-sources/source';
import { fixture, readAll } from './read-all';

/**
 * A list's records are recognised by the hash of their bytes under the adapter's `revision`
 * (domain/exclusion-sources/source.ts): an adapter that reads the same row differently without a new
 * revision would leave the records it read before as they were, for ever. Each adapter's fixture read
 * is pinned to its revision here. When this fails after a change to an adapter: bump its `revision`,
 * then put the new revision and digest below.
 */
const PINNED: [ExclusionSourceAdapter, string, { revision: number; digest: string }][] = [
  [
    samAdapter,
    'sam.csv',
    { revision: 1, digest: '09789a75abc192f64d4eed617e05632ac4eb06d96972c843f2f05a587deb086d' },
  ],
  [
    paMedicheckAdapter,
    'pa-medicheck.csv',
    { revision: 1, digest: '321959d5c96def6696e7fadd1c8c4355207b291ebe9b83324a8a2fdfc231e85f' },
  ],
  [
    caMediCalAdapter,
    'ca-medi-cal.csv',
    { revision: 1, digest: '25a45eb8bfff7098c685510ed1ca8fc28f972c2b5fff81161e40d8bd46fe2af3' },
  ],
  [
    leieAdapter,
    'leie.csv',
    { revision: 1, digest: '9bdd387ae32e5355aba91237c6fb0517e8ed8b42a0713c91a01f88361d6673bb' },
  ],
];

describe('adapter revisions (a changed reading of a row needs a new revision)', () => {
  for (const [adapter, file, pinned] of PINNED) {
    it(`${adapter.id} reads ${file} as pinned for revision ${pinned.revision}`, async () => {
      const { records, reader } = await readAll(adapter, fixture(file));
      const digest = createHash('sha256')
        .update(
          JSON.stringify({
            records: records.map(({ row, record }) => ({ row, record })),
            rejections: reader.rejections,
          }),
        )
        .digest('hex');
      assert.deepEqual(
        { revision: adapter.revision, digest },
        pinned,
        `${adapter.id}'s reading of ${file} changed: bump its revision, then pin the new revision and digest here`,
      );
    });
  }
});
