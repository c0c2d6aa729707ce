import { randomFillSync } from 'node:crypto';

/**
 * One-dimensional arrays in Postgres's binary wire format (what `array_recv` reads), for the large
 * array parameters of roster batches. node-postgres sends a Buffer parameter in binary, and Postgres
 * then reads each element by its length instead of parsing quoted, escaped array text (`array_in`
 * is a visible part of a batch's Postgres work, and encoding the text is worker CPU too). The
 * statement must cast the parameter to the array's type (`$1::text[]`), which tells Postgres how to
 * read it.
 */
const ELEMENT_OID = { bool: 16, int4: 23, text: 25, date: 1082, uuid: 2950 } as const;
type Element = keyof typeof ELEMENT_OID;

const HEADER_BYTES = 20;
const NULL_LENGTH = -1;
const DAY_MS = 86_400_000;
const POSTGRES_EPOCH_MS = Date.UTC(2000, 0, 1);

/**
 * A one-dimensional array (lower bound 1) of `count` elements in at most `maxBytes`: `write` puts
 * element `index` at `at` and returns its length in bytes, or null for a null element.
 */
function encodeArray(
  element: Element,
  count: number,
  maxBytes: number,
  write: (out: Buffer, at: number, index: number) => number | null,
): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES + count * 4 + maxBytes);
  let at = HEADER_BYTES;
  let hasNull = false;
  for (let index = 0; index < count; index++) {
    const length = write(out, at + 4, index);
    hasNull ||= length === null;
    out.writeInt32BE(length ?? NULL_LENGTH, at);
    at += 4 + (length ?? 0);
  }
  out.writeInt32BE(1, 0); // dimensions
  out.writeInt32BE(hasNull ? 1 : 0, 4);
  out.writeInt32BE(ELEMENT_OID[element], 8);
  out.writeInt32BE(count, 12);
  out.writeInt32BE(1, 16); // lower bound
  return out.subarray(0, at);
}

/** `text[]`. A string must not hold U+0000 (Postgres refuses it, as in every other format). */
export function textArray(values: readonly (string | null)[]): Buffer {
  let maxBytes = 0;
  for (const value of values) maxBytes += value === null ? 0 : 3 * value.length; // ≤ 3 UTF-8 bytes a UTF-16 unit
  return encodeArray('text', values.length, maxBytes, (out, at, index) => {
    const value = values[index] as string | null;
    return value === null ? null : out.write(value, at, 'utf8');
  });
}

/** `date[]` of calendar dates written `YYYY-MM-DD` (as roster validation gives them). */
export function dateArray(values: readonly (string | null)[]): Buffer {
  return encodeArray('date', values.length, 4 * values.length, (out, at, index) => {
    const value = values[index];
    if (value === null || value === undefined) return null;
    const utc = Date.UTC(
      Number(value.slice(0, 4)),
      Number(value.slice(5, 7)) - 1,
      Number(value.slice(8, 10)),
    );
    out.writeInt32BE((utc - POSTGRES_EPOCH_MS) / DAY_MS, at);
    return 4;
  });
}

export function boolArray(values: readonly boolean[]): Buffer {
  return encodeArray('bool', values.length, values.length, (out, at, index) => {
    out[at] = values[index] ? 1 : 0;
    return 1;
  });
}

export function int4Array(values: readonly number[]): Buffer {
  return encodeArray('int4', values.length, 4 * values.length, (out, at, index) => {
    out.writeInt32BE(values[index] as number, at);
    return 4;
  });
}

/** `uuid[]` of `count` new random UUIDs (version 4), drawn from one call to the generator. */
export function randomUuidArray(count: number): Buffer {
  const random = randomFillSync(Buffer.allocUnsafe(16 * count));
  return encodeArray('uuid', count, 16 * count, (out, at, index) => {
    random.copy(out, at, 16 * index, 16 * index + 16);
    out[at + 6] = ((out[at + 6] as number) & 0x0f) | 0x40; // version 4
    out[at + 8] = ((out[at + 8] as number) & 0x3f) | 0x80; // RFC 4122 variant
    return 16;
  });
}
