import { hash } from 'node:crypto';

/** Bytes of a record hash (`row_hash`): the first 16 bytes of the sha256 of the CSV record. */
export const RECORD_HASH_BYTES = 16;

/**
 * A record hash as a 16-character latin1 string (one character per byte): a short string costs the
 * scavenger nothing, where a Buffer per record would be an ArrayBuffer per record.
 */
export type RecordHash = string;

export function recordHash(record: Buffer): RecordHash {
  return hash('sha256', record, 'binary').slice(0, RECORD_HASH_BYTES);
}

export const recordHashHex = (rowHash: RecordHash): string => Buffer.from(rowHash, 'latin1').toString('hex');
const fromHex = (hex: string): RecordHash => Buffer.from(hex, 'hex').toString('latin1');

/** Word `word` (0–3) of a record hash, big-endian: words compare as the bytes do. */
function wordOf(rowHash: RecordHash, word: number): number {
  const at = word * 4;
  return (
    ((rowHash.charCodeAt(at) << 24) |
      (rowHash.charCodeAt(at + 1) << 16) |
      (rowHash.charCodeAt(at + 2) << 8) |
      rowHash.charCodeAt(at + 3)) >>>
    0
  );
}

/**
 * The record hashes of the list's rows as a multiset, matched against a file's records one by one.
 * Kept as typed arrays (four big-endian words per distinct hash, in byte order) and searched by
 * bisection: no string, object or map entry per row, whatever the list's size.
 */
export class RecordHashMultiset {
  private readonly words: Uint32Array;
  /** Per distinct hash: how many of the list's rows with it the file has not matched yet. */
  private readonly left: Int32Array;
  readonly distinct: number;

  /** `sorted`: the hashes concatenated in byte order (what `string_agg(… ORDER BY row_hash)` gives). */
  constructor(sorted: Buffer) {
    if (sorted.length % RECORD_HASH_BYTES !== 0) {
      throw new Error(`record hashes are ${RECORD_HASH_BYTES} bytes each; got ${sorted.length} bytes`);
    }
    const rows = sorted.length / RECORD_HASH_BYTES;
    this.words = new Uint32Array(rows * 4);
    this.left = new Int32Array(rows);
    let distinct = 0;
    for (let row = 0; row < rows; row++) {
      const at = row * RECORD_HASH_BYTES;
      if (
        distinct > 0 &&
        sorted.compare(sorted, at - RECORD_HASH_BYTES, at, at, at + RECORD_HASH_BYTES) === 0
      ) {
        this.left[distinct - 1] = (this.left[distinct - 1] as number) + 1;
        continue;
      }
      for (let word = 0; word < 4; word++)
        this.words[distinct * 4 + word] = sorted.readUInt32BE(at + word * 4);
      this.left[distinct++] = 1;
    }
    this.distinct = distinct;
  }

  /** The index of the distinct hash, or -1. */
  indexOf(rowHash: RecordHash): number {
    const w0 = wordOf(rowHash, 0);
    const w1 = wordOf(rowHash, 1);
    const w2 = wordOf(rowHash, 2);
    const w3 = wordOf(rowHash, 3);
    const words = this.words;
    let low = 0;
    let high = this.distinct - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const at = middle * 4;
      const order =
        (words[at] as number) - w0 ||
        (words[at + 1] as number) - w1 ||
        (words[at + 2] as number) - w2 ||
        (words[at + 3] as number) - w3;
      if (order === 0) return middle;
      if (order < 0) low = middle + 1;
      else high = middle - 1;
    }
    return -1;
  }

  /** Takes one unmatched row of this hash: its index, or -1 when the list has no (more) such row. */
  take(rowHash: RecordHash): number {
    const index = this.indexOf(rowHash);
    const left = index < 0 ? 0 : (this.left[index] as number);
    if (left === 0) return -1;
    this.left[index] = left - 1;
    return index;
  }

  hex(index: number): string {
    const bytes = Buffer.allocUnsafe(RECORD_HASH_BYTES);
    for (let word = 0; word < 4; word++)
      bytes.writeUInt32BE(this.words[index * 4 + word] as number, word * 4);
    return bytes.toString('hex');
  }

  /** The hashes of the rows no record took, one per row (hex). */
  untaken(): string[] {
    const gone: string[] = [];
    for (let index = 0; index < this.distinct; index++) {
      const left = this.left[index] as number;
      if (left > 0) {
        const hex = this.hex(index);
        for (let i = 0; i < left; i++) gone.push(hex);
      }
    }
    return gone;
  }
}

/** The file's records that a row of the list took: each one's line and the distinct hash it took. */
export class KeptRecords {
  private readonly lines: number[] = [];
  private readonly taken: number[] = [];

  add(line: number, index: number): void {
    this.lines.push(line);
    this.taken.push(index);
  }

  /** The kept records whose hash is one of `wanted` (hex): their lines, in file order, and hashes. */
  select(list: RecordHashMultiset, wanted: readonly string[]): { lines: number[]; hashes: string[] } {
    const chosen = new Uint8Array(list.distinct);
    for (const hex of wanted) {
      const index = list.indexOf(fromHex(hex));
      if (index >= 0) chosen[index] = 1;
    }
    const lines: number[] = [];
    const hashes: string[] = [];
    for (let i = 0; i < this.lines.length; i++) {
      const index = this.taken[i] as number;
      if (chosen[index] === 1) {
        lines.push(this.lines[i] as number);
        hashes.push(list.hex(index));
      }
    }
    return { lines, hashes };
  }
}
