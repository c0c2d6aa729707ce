/**
 * Word `word` (0-based, big-endian) of a hash held as a latin1 string (one character per byte): how
 * the typed-array hash tables read a hash without a Buffer per value.
 */
export function hashWord(hash: string, word: number): number {
  const at = word * 4;
  return (
    ((hash.charCodeAt(at) << 24) |
      (hash.charCodeAt(at + 1) << 16) |
      (hash.charCodeAt(at + 2) << 8) |
      hash.charCodeAt(at + 3)) >>>
    0
  );
}

/**
 * In an open-addressing table of 16-byte hashes — `words` holds four words per entry, `slots` an
 * entry's index + 1 per slot (0 = empty; a power of two long, never full) — the slot holding the hash
 * of these words, or the empty slot where it would go. Probes from the first word: hash bits are
 * uniform.
 */
export function slotOf(
  words: Uint32Array,
  slots: Int32Array,
  w0: number,
  w1: number,
  w2: number,
  w3: number,
) {
  const mask = slots.length - 1;
  let slot = w0 & mask;
  for (;;) {
    const held = slots[slot] as number;
    if (held === 0) return slot;
    const at = (held - 1) * 4;
    if (words[at] === w0 && words[at + 1] === w1 && words[at + 2] === w2 && words[at + 3] === w3) return slot;
    slot = (slot + 1) & mask;
  }
}

/**
 * A set of hashes of at least 16 bytes (latin1 strings, one character per byte), compared on their
 * first 16: four words per hash and an open-addressing table of their indexes, at most half full,
 * both growing as needed — about 24 bytes a hash and no string or map entry.
 */
export class DigestSet {
  private words = new Uint32Array(4 * 512);
  /** Index of a hash + 1 per slot (0 = empty). */
  private slots = new Int32Array(1024);
  size = 0;

  /** Bytes of its typed arrays. */
  get bytes(): number {
    return this.words.byteLength + this.slots.byteLength;
  }

  /** Adds `digest`; false when the set had it already. */
  add(digest: string): boolean {
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
