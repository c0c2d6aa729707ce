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
