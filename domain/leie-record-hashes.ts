import { createHash, hash } from 'node:crypto';
import { DigestSet, hashWord, slotOf } from './hash-table';

/** Bytes of a record hash (`row_hash`): the first 16 bytes of the sha256 of the CSV record. */
export const RECORD_HASH_BYTES = 16;

/**
 * A record hash as a 16-character latin1 string (one character per byte): a short string costs the
 * scavenger nothing, where a Buffer per record would be an ArrayBuffer per record.
 */
export type RecordHash = string;

export function recordHash(record: Buffer | string): RecordHash {
  return hash('sha256', record, 'binary').slice(0, RECORD_HASH_BYTES);
}

/**
 * Record hashes under a salt — sha256(salt ‖ record), the salt a digest of what decides how the
 * record's bytes are read (a list's header, reader and adapter revisions) — through one scratch
 * buffer, not a buffer per record.
 */
export class SaltedHasher {
  private scratch = Buffer.alloc(0);
  private saltBytes = 0;

  /** Starts hashing under the digest of these parts. */
  salt(...parts: (string | Buffer)[]): Buffer {
    const digest = createHash('sha256');
    for (const part of parts) digest.update(part);
    const salt = digest.digest();
    this.saltBytes = salt.length;
    this.scratch = Buffer.allocUnsafe(salt.length + 4096);
    salt.copy(this.scratch);
    return salt;
  }

  hash(record: Buffer): RecordHash {
    const bytes = this.saltBytes + record.length;
    if (bytes > this.scratch.length) {
      const grown = Buffer.allocUnsafe(bytes * 2);
      this.scratch.copy(grown, 0, 0, this.saltBytes);
      this.scratch = grown;
    }
    record.copy(this.scratch, this.saltBytes);
    return recordHash(this.scratch.subarray(0, bytes));
  }
}

/**
 * Gives each copy of a record a list file repeats its own hash (the first keeps its hash, the n-th
 * gets the hash of `<hash>#n`), so the list's rows never share one: a sync deletes the rows whose
 * hash the file no longer holds, and a shared hash would take every copy with it.
 */
export class RecordHashCopies {
  private readonly seen = new DigestSet();
  private readonly copies = new Map<RecordHash, number>();

  own(hash: RecordHash): RecordHash {
    if (this.seen.add(hash)) return hash;
    const copy = (this.copies.get(hash) ?? 1) + 1;
    this.copies.set(hash, copy);
    return recordHash(`${hash}#${copy}`);
  }
}

export const recordHashHex = (rowHash: RecordHash): string => Buffer.from(rowHash, 'latin1').toString('hex');
const fromHex = (hex: string): RecordHash => Buffer.from(hex, 'hex').toString('latin1');

/**
 * The record hashes of the list's rows as a multiset, matched against a file's records one by one.
 * Kept as typed arrays — four big-endian words per distinct hash, and an open-addressing table of
 * their indexes keyed by the first word (sha256 bits are uniform) — so there is no string, object or
 * map entry per row, whatever the list's size, and nothing to sort.
 */
export class RecordHashMultiset {
  private readonly words: Uint32Array;
  /** Per distinct hash: how many of the list's rows with it the file has not matched yet. */
  private readonly left: Int32Array;
  /** Index of a distinct hash + 1 per slot (0 = empty); at most half full. */
  private readonly slots: Int32Array;
  readonly distinct: number;

  /** `hashes`: the rows' hashes concatenated, in any order. */
  constructor(hashes: Buffer) {
    if (hashes.length % RECORD_HASH_BYTES !== 0) {
      throw new Error(`record hashes are ${RECORD_HASH_BYTES} bytes each; got ${hashes.length} bytes`);
    }
    const rows = hashes.length / RECORD_HASH_BYTES;
    let size = 16;
    while (size < rows * 2) size *= 2;
    this.slots = new Int32Array(size);
    this.words = new Uint32Array(rows * 4);
    this.left = new Int32Array(rows);
    let distinct = 0;
    for (let at = 0; at < hashes.length; at += RECORD_HASH_BYTES) {
      const w0 = hashes.readUInt32BE(at);
      const w1 = hashes.readUInt32BE(at + 4);
      const w2 = hashes.readUInt32BE(at + 8);
      const w3 = hashes.readUInt32BE(at + 12);
      const slot = slotOf(this.words, this.slots, w0, w1, w2, w3);
      const found = this.slots[slot] as number;
      if (found > 0) {
        this.left[found - 1] = (this.left[found - 1] as number) + 1;
        continue;
      }
      const words = this.words;
      words[distinct * 4] = w0;
      words[distinct * 4 + 1] = w1;
      words[distinct * 4 + 2] = w2;
      words[distinct * 4 + 3] = w3;
      this.left[distinct] = 1;
      this.slots[slot] = ++distinct;
    }
    this.distinct = distinct;
  }

  /** The index of the distinct hash, or -1. */
  indexOf(rowHash: RecordHash): number {
    const slot = slotOf(
      this.words,
      this.slots,
      hashWord(rowHash, 0),
      hashWord(rowHash, 1),
      hashWord(rowHash, 2),
      hashWord(rowHash, 3),
    );
    return (this.slots[slot] as number) - 1;
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
