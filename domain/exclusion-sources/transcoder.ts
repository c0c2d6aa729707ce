import { isAscii, isUtf8 } from 'node:buffer';

/**
 * Decodes a list's bytes as UTF-8 or Windows-1252. Government lists are published by tools that
 * write either (an `é` is `C3 A9` in one file and `E9` in the next), so `E9` must read `é` — never
 * `�`, never dropped:
 * - a file whose first non-UTF-8 byte comes before any multi-byte UTF-8 character is Windows-1252
 *   from there on (its ASCII prefix reads the same either way), so `É’€` (`C9 92 80`) is not taken
 *   for the UTF-8 character those bytes happen to spell;
 * - a file that showed UTF-8 characters first is mixed (lists merged from two tools): each byte that
 *   does not begin a well-formed UTF-8 sequence is read as Windows-1252.
 * Chunks that are valid UTF-8 (nearly all) are decoded natively; only others are walked byte by byte.
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

const asBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);

/** A list's bytes in, UTF-8 bytes out (csv-parse works on bytes): UTF-8 chunks pass through uncopied. */
export class ListTranscoder {
  /** What the bytes so far turned out to be. */
  encoding: 'utf-8' | 'windows-1252' | 'mixed' = 'utf-8';
  private readonly windows1252 = new TextDecoder('windows-1252', { ignoreBOM: true });
  private sawUtf8Character = false;
  private pending: Uint8Array = new Uint8Array(0);

  /** The bytes so far as UTF-8; a sequence cut by the chunk's end waits for the next chunk. */
  write(chunk: Uint8Array): Buffer {
    if (this.encoding === 'windows-1252') return this.fromWindows1252(chunk);
    return this.transcode(this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk, false);
  }

  end(): Buffer {
    if (this.encoding === 'windows-1252') return Buffer.alloc(0);
    return this.transcode(this.pending, true);
  }

  private fromWindows1252(bytes: Uint8Array): Buffer {
    return isAscii(bytes) ? asBuffer(bytes) : Buffer.from(this.windows1252.decode(bytes), 'utf8');
  }

  private transcode(bytes: Uint8Array, final: boolean): Buffer {
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
    if (isUtf8(body)) {
      if (!this.sawUtf8Character && !isAscii(body)) this.sawUtf8Character = true;
      return asBuffer(body);
    }
    return Buffer.from(this.mixed(body), 'utf8');
  }

  /** The text of bytes that are not all UTF-8, walked byte by byte. */
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
        this.sawUtf8Character = true;
        i += length;
        continue;
      }
      text += asBuffer(bytes.subarray(runStart, i)).toString('utf8');
      if (!this.sawUtf8Character) {
        // Nothing so far was UTF-8 beyond ASCII: the file is Windows-1252 from here on.
        this.encoding = 'windows-1252';
        const rest = Buffer.concat([bytes.subarray(i), this.pending]);
        this.pending = new Uint8Array(0);
        return text + this.windows1252.decode(rest);
      }
      this.encoding = 'mixed';
      text += WINDOWS_1252[(bytes[i] as number) - 0x80];
      i++;
      runStart = i;
    }
    return text + asBuffer(bytes.subarray(runStart, i)).toString('utf8');
  }
}
