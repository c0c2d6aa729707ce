import { hash } from 'node:crypto';
import { hashWord, slotOf } from './hash-table';

/**
 * The external ids a roster file has had so far, to tell a later row with the same id (first in the
 * file wins). Ids are compared as Postgres compares them: byte for byte (a deterministic collation's
 * equality). Each id is kept as the first 16 bytes of the sha256 of its UTF-8 bytes, in typed arrays
 * (four words per id and an open-addressing table of their indexes, at most half full): about 24
 * bytes an id and no string or map entry, far less than a Set of strings. Two different ids share a
 * hash with a probability of about n²/2¹²⁹ (10⁻²⁷ for a million ids).
 */
export class ExternalIdSet {
  private words = new Uint32Array(4 * 512);
  /** Index of an id + 1 per slot (0 = empty). */
  private slots = new Int32Array(1024);
  size = 0;

  /** Bytes of its typed arrays. */
  get bytes(): number {
    return this.words.byteLength + this.slots.byteLength;
  }

  /** Adds `id`; false when the set had it already. */
  add(id: string): boolean {
    const digest = hash('sha256', id, 'binary');
    const w0 = hashWord(digest, 0);
    const w1 = hashWord(digest, 1);
    const w2 = hashWord(digest, 2);
    const w3 = hashWord(digest, 3);
    let slot = slotOf(this.words, this.slots, w0, w1, w2, w3);
    if (this.slots[slot] !== 0) return false;
    if ((this.size + 1) * 2 > this.slots.length) {
      this.grow();
      slot = slotOf(this.words, this.slots, w0, w1, w2, w3);
    }
    if (this.size * 4 === this.words.length) {
      const words = new Uint32Array(this.words.length * 2);
      words.set(this.words);
      this.words = words;
    }
    const at = this.size * 4;
    this.words[at] = w0;
    this.words[at + 1] = w1;
    this.words[at + 2] = w2;
    this.words[at + 3] = w3;
    this.slots[slot] = ++this.size;
    return true;
  }

  private grow() {
    this.slots = new Int32Array(this.slots.length * 2);
    const { words, slots } = this;
    for (let index = 0; index < this.size; index++) {
      const at = index * 4;
      slots[
        slotOf(
          words,
          slots,
          words[at] as number,
          words[at + 1] as number,
          words[at + 2] as number,
          words[at + 3] as number,
        )
      ] = index + 1;
    }
  }
}
