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
