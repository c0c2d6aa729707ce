/**
 * Decodes a list's bytes as UTF-8 where they are UTF-8 and as Windows-1252 where they are not.
 * Government lists are published by tools that write either (an `é` is `C3 A9` in one file and
 * `E9` in the next, sometimes both in one file after a merge): a byte that does not begin a
 * well-formed UTF-8 sequence is read as Windows-1252, so `E9` is `é` — never `�`, never dropped.
 * A chunk that is valid UTF-8 (nearly all) is decoded natively; only others are walked byte by byte.
 */

const WINDOWS_1252 = new TextDecoder('windows-1252').decode(
  Uint8Array.from({ length: 128 }, (_, i) => 0x80 + i),
);

/** Length of the well-formed UTF-8 sequence at `at`, 0 when there is none, -1 when the chunk ends inside one. */
function utf8SequenceLength(bytes: Uint8Array, at: number): number {
  const lead = bytes[at] as number;
  let length: number;
  let min = 0x80;
  let max = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) length = 2;
  else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    if (lead === 0xe0) min = 0xa0; // overlong
    if (lead === 0xed) max = 0x9f; // surrogates
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    if (lead === 0xf0) min = 0x90;
    if (lead === 0xf4) max = 0x8f;
  } else return 0;
  for (let i = 1; i < length; i++) {
    if (at + i >= bytes.length) return -1;
    const byte = bytes[at + i] as number;
    const low = i === 1 ? min : 0x80;
    const high = i === 1 ? max : 0xbf;
    if (byte < low || byte > high) return 0;
  }
  return length;
}

export class ListTextDecoder {
  /** Bytes read as Windows-1252 so far: 0 for a UTF-8 file. */
  windows1252Bytes = 0;
  private readonly utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  private pending: Uint8Array = new Uint8Array(0);

  /** The text of the bytes so far; a sequence cut by the chunk's end waits for the next chunk. */
  write(chunk: Uint8Array): string {
    return this.decode(this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk, false);
  }

  end(): string {
    return this.decode(this.pending, true);
  }

  private decode(bytes: Uint8Array, final: boolean): string {
    // Keep a UTF-8 sequence cut by the chunk's end for the next chunk (at most 3 bytes).
    let cut = bytes.length;
    if (!final) {
      for (let back = 1; back <= 3 && back <= bytes.length; back++) {
        const at = bytes.length - back;
        const byte = bytes[at] as number;
        if (byte < 0x80) break;
        if (byte >= 0xc0) {
          if (utf8SequenceLength(bytes, at) === -1) cut = at;
          break;
        }
      }
    }
    this.pending = bytes.slice(cut);
    const body = bytes.subarray(0, cut);
    try {
      return this.utf8.decode(body);
    } catch {
      return this.mixed(body);
    }
  }

  private mixed(bytes: Uint8Array): string {
    let text = '';
    let runStart = 0;
    let i = 0;
    while (i < bytes.length) {
      if ((bytes[i] as number) < 0x80) {
        i++;
        continue;
      }
      const length = utf8SequenceLength(bytes, i);
      if (length > 0) {
        i += length;
        continue;
      }
      text += Buffer.from(bytes.buffer, bytes.byteOffset + runStart, i - runStart).toString('utf8');
      text += WINDOWS_1252[(bytes[i] as number) - 0x80];
      this.windows1252Bytes++;
      i++;
      runStart = i;
    }
    return text + Buffer.from(bytes.buffer, bytes.byteOffset + runStart, i - runStart).toString('utf8');
  }
}
