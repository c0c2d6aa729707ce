import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import {
  KeptRecords,
  RECORD_HASH_BYTES,
  type RecordHash,
  RecordHashMultiset,
  recordHash,
  recordHashHex,
} from '../../domain/leie-record-hashes';

/** The list's hashes as the import reads them: concatenated, in no particular order. */
const concat = (hashes: RecordHash[]) =>
  Buffer.concat(hashes.map((rowHash) => Buffer.from(rowHash, 'latin1')));
const hashArb = fc
  .uint8Array({ minLength: RECORD_HASH_BYTES, maxLength: RECORD_HASH_BYTES })
  .map((b) => Buffer.from(b).toString('latin1'));

describe('record hashes of the OIG list', () => {
  it('hashes a record to the first 16 bytes of its sha256', () => {
    const record = Buffer.from('"SMITH","JOHN","","","","","","0000000000"');
    const sha256 = createHash('sha256').update(record).digest();
    assert.equal(recordHashHex(recordHash(record)), sha256.subarray(0, RECORD_HASH_BYTES).toString('hex'));
    assert.notEqual(recordHash(record), recordHash(Buffer.concat([record, Buffer.from(' ')])));
  });

  it('takes each row of the list once, and names the rows no record took (a multiset, like a Map of counts)', () => {
    fc.assert(
      fc.property(
        fc.array(hashArb, { maxLength: 40 }),
        fc.array(fc.nat(60), { maxLength: 80 }),
        fc.array(hashArb, { maxLength: 10 }),
        (distinctish, picks, strangers) => {
          // The list: some hashes, several of them more than once.
          const list = picks
            .map((pick) => distinctish[pick % Math.max(distinctish.length, 1)])
            .filter(Boolean);
          const multiset = new RecordHashMultiset(concat(list as RecordHash[]));
          const counts = new Map<string, number>();
          for (const hash of list as RecordHash[])
            counts.set(recordHashHex(hash), (counts.get(recordHashHex(hash)) ?? 0) + 1);
          assert.equal(multiset.distinct, counts.size);

          // The file: every list hash plus a stranger or two, in another order.
          const file = [...distinctish, ...strangers, ...distinctish];
          for (const hash of file) {
            const hex = recordHashHex(hash);
            const left = counts.get(hex) ?? 0;
            const taken = multiset.take(hash);
            if (left > 0) {
              assert.ok(taken >= 0);
              assert.equal(multiset.hex(taken), hex);
              counts.set(hex, left - 1);
            } else assert.equal(taken, -1);
          }
          const expectedGone = [...counts].flatMap(([hex, n]) => Array<string>(n).fill(hex)).sort();
          assert.deepEqual(multiset.untaken().sort(), expectedGone);
        },
      ),
    );
  });

  it('tells apart hashes that share their first word or their table slot', () => {
    const hash = (...words: number[]) => {
      const bytes = Buffer.alloc(RECORD_HASH_BYTES);
      for (const [i, word] of words.entries()) bytes.writeUInt32BE(word, i * 4);
      return bytes.toString('latin1');
    };
    // Same first word (same slot, whatever the table size), differing in a later word; first words
    // equal in their low bits only; the highest first word.
    const hashes = [
      hash(7, 0, 0, 1),
      hash(7, 0, 0, 2),
      hash(7, 1),
      hash(7 + 2 ** 20),
      hash(7 + 2 ** 31),
      hash(2 ** 32 - 1),
    ];
    const multiset = new RecordHashMultiset(concat([...hashes, hashes[1] as RecordHash]));
    assert.equal(multiset.distinct, hashes.length);
    for (const rowHash of hashes)
      assert.equal(multiset.hex(multiset.indexOf(rowHash)), recordHashHex(rowHash));
    assert.equal(multiset.indexOf(hash(7, 0, 0, 3)), -1);
    assert.ok(multiset.take(hashes[1] as RecordHash) >= 0);
    assert.ok(multiset.take(hashes[1] as RecordHash) >= 0);
    assert.equal(multiset.take(hashes[1] as RecordHash), -1);
  });

  it('refuses hashes that are not 16 bytes each', () => {
    assert.throws(() => new RecordHashMultiset(Buffer.alloc(RECORD_HASH_BYTES + 1)), /16 bytes each/);
  });

  it('selects the kept records of the wanted hashes, in file order', () => {
    const [a, b, c] = ['a', 'b', 'c'].map((letter) => recordHash(Buffer.from(letter))) as [
      RecordHash,
      RecordHash,
      RecordHash,
    ];
    const multiset = new RecordHashMultiset(concat([a, b, b, c]));
    const kept = new KeptRecords();
    for (const [line, hash] of [
      [2, b],
      [3, a],
      [5, b],
      [7, c],
    ] as const) {
      kept.add(line, multiset.take(hash));
    }
    assert.deepEqual(kept.select(multiset, [recordHashHex(b), 'ff'.repeat(16)]), {
      lines: [2, 5],
      hashes: [recordHashHex(b), recordHashHex(b)],
    });
    assert.deepEqual(kept.select(multiset, []), { lines: [], hashes: [] });
  });
});
