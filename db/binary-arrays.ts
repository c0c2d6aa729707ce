import { randomFillSync } from 'node:crypto';

/**
 * One-dimensional arrays in Postgres's binary wire format (what `array_recv` reads), for the large
 * array parameters of roster batches. node-postgres sends a Buffer parameter in binary, and Postgres
 * then reads each element by its length instead of parsing quoted, escaped array text: `array_in`
 * was ≈ 6 % of a batch's Postgres instructions, and encoding the text was worker CPU too. The
 * statement must cast the parameter to the array's type (`$1::text[]`), which tells Postgres how to
 * read it.
 */
const ELEMENT_OID = { bool: 16, int4: 23, text: 25, date: 1082, uuid: 2950 } as const;
type Element = keyof typeof ELEMENT_OID;

const HEADER_BYTES = 20;
const NULL_LENGTH = -1;
const DAY_MS = 86_400_000;
const POSTGRES_EPOCH_MS = Date.UTC(2000, 0, 1);

/** Header of a one-dimensional array with lower bound 1; the elements follow, each length-prefixed. */
function writeHeader(out: Buffer, element: Element, count: number, hasNull: boolean) {
  out.writeInt32BE(1, 0);
  out.writeInt32BE(hasNull ? 1 : 0, 4);
  out.writeInt32BE(ELEMENT_OID[element], 8);
  out.writeInt32BE(count, 12);
  out.writeInt32BE(1, 16);
}

/** Elements of `width` bytes each; `write` fills one and returns false for a null. */
function fixedWidthArray(
  element: Element,
  count: number,
  width: number,
  write: (out: Buffer, at: number, index: number) => boolean,
): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES + count * (4 + width));
  let at = HEADER_BYTES;
  let hasNull = false;
  for (let index = 0; index < count; index++) {
    if (write(out, at + 4, index)) {
      out.writeInt32BE(width, at);
      at += 4 + width;
    } else {
      out.writeInt32BE(NULL_LENGTH, at);
      at += 4;
      hasNull = true;
    }
  }
  writeHeader(out, element, count, hasNull);
  return out.subarray(0, at);
}

/** `text[]`. A string must not hold U+0000 (Postgres refuses it, as in every other format). */
export function textArray(values: readonly (string | null)[]): Buffer {
  let most = HEADER_BYTES;
  for (const value of values) most += 4 + (value === null ? 0 : 3 * value.length); // ≤ 3 UTF-8 bytes a UTF-16 unit
  const out = Buffer.allocUnsafe(most);
  let at = HEADER_BYTES;
  let hasNull = false;
  for (const value of values) {
    if (value === null) {
      out.writeInt32BE(NULL_LENGTH, at);
      at += 4;
      hasNull = true;
    } else {
      const length = out.write(value, at + 4, 'utf8');
      out.writeInt32BE(length, at);
      at += 4 + length;
    }
  }
  writeHeader(out, 'text', values.length, hasNull);
  return out.subarray(0, at);
}

/** `date[]` of calendar dates written `YYYY-MM-DD` (as roster validation gives them). */
export function dateArray(values: readonly (string | null)[]): Buffer {
  return fixedWidthArray('date', values.length, 4, (out, at, index) => {
    const value = values[index];
    if (value === null || value === undefined) return false;
    const utc = Date.UTC(
      Number(value.slice(0, 4)),
      Number(value.slice(5, 7)) - 1,
      Number(value.slice(8, 10)),
    );
    out.writeInt32BE((utc - POSTGRES_EPOCH_MS) / DAY_MS, at);
    return true;
  });
}

export function boolArray(values: readonly boolean[]): Buffer {
  return fixedWidthArray('bool', values.length, 1, (out, at, index) => {
    out[at] = values[index] ? 1 : 0;
    return true;
  });
}

export function int4Array(values: readonly number[]): Buffer {
  return fixedWidthArray('int4', values.length, 4, (out, at, index) => {
    out.writeInt32BE(values[index] as number, at);
    return true;
  });
}

/** `uuid[]` of `count` new random UUIDs (version 4), drawn from one call to the generator. */
export function randomUuidArray(count: number): Buffer {
  const random = randomFillSync(Buffer.allocUnsafe(16 * count));
  return fixedWidthArray('uuid', count, 16, (out, at, index) => {
    random.copy(out, at, 16 * index, 16 * index + 16);
    out[at + 6] = ((out[at + 6] as number) & 0x0f) | 0x40; // version 4
    out[at + 8] = ((out[at + 8] as number) & 0x3f) | 0x80; // RFC 4122 variant
    return true;
  });
}
