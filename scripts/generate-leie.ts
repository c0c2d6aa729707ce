/**
 * Generates an LEIE-format file (UPDATED.csv) of any size, byte-for-byte in the published format:
 * unquoted header, every field quoted, CRLF, YYYYMMDD dates with 00000000 for none, NPI 0000000000
 * for none, ≈ 8 % business rows. Deterministic for a given seed.
 *
 *   npx tsx scripts/generate-leie.ts <out.csv> [rows=82000] [seed=1]
 */

import { once } from 'node:events';
import fs from 'node:fs';
import { pathToFileURL } from 'node:url';
import { LEIE_COLUMNS } from '../domain/leie';

export const LEIE_HEADER_LINE = `${LEIE_COLUMNS.join(',')}\r\n`;

/** One data line in the LEIE's quoting (every field quoted, `"` doubled). */
export function formatLeieLine(fields: readonly string[]): string {
  return `${fields.map((field) => `"${field.replaceAll('"', '""')}"`).join(',')}\r\n`;
}

/** A whole file from rows of fields (small fixtures). */
export function formatLeieFile(rows: readonly (readonly string[])[]): string {
  return LEIE_HEADER_LINE + rows.map(formatLeieLine).join('');
}

export const LAST = [
  'SMITH',
  'JOHNSON',
  'WILLIAMS',
  'BROWN',
  'JONES',
  'GARCIA',
  'MILLER',
  'DAVIS',
  'RODRIGUEZ',
  'MARTINEZ',
  'HERNANDEZ',
  'LOPEZ',
  'GONZALEZ',
  'WILSON',
  'ANDERSON',
  'THOMAS',
  'TAYLOR',
  'MOORE',
  'JACKSON',
  'MARTIN',
  "O'BRIEN",
  'NGUYEN',
  'PEREZ-LOPEZ',
  'MCDONALD',
  'DE LA CRUZ',
  'KOWALSKI',
  'OKAFOR',
  'PATEL',
  'KIM',
  'CHEN',
];
export const FIRST = [
  'JAMES',
  'MARY',
  'ROBERT',
  'PATRICIA',
  'JOHN',
  'JENNIFER',
  'MICHAEL',
  'LINDA',
  'DAVID',
  'ELIZABETH',
  'WILLIAM',
  'BARBARA',
  'RICHARD',
  'SUSAN',
  'JOSEPH',
  'JESSICA',
  'THOMAS',
  'SARAH',
  'MARIA',
  'KAREN',
  'JOSE',
  'NANCY',
  'ANA',
  'LUIS',
  'CHUKWUEMEKA',
  'MEI',
  'PRIYA',
  'DMITRI',
  'FATIMA',
  'SEAN',
];
const GENERAL = [
  'NURSING PROFESSION',
  'IND- LIC HC SERV PRO',
  'PHARMACY',
  'OTHER BUSINESS',
  'BUSINESS OWNER/EXEC',
];
const SPECIALTY = ['NURSE/NURSES AIDE', 'PHARMACIST', 'HOME HEALTH AGENCY', 'PHYSICIAN', 'DME - OXYGEN', ''];
const EXCLTYPE = ['1128a1', '1128a2', '1128a3', '1128a4', '1128b4', '1128b5', '1128b7', '1128b8', '1128b14'];
export const STATES = [
  'NY',
  'CA',
  'TX',
  'FL',
  'MN',
  'OH',
  'PA',
  'IL',
  'GA',
  'NC',
  'MI',
  'NJ',
  'VA',
  'WA',
  'AZ',
];
const CITIES = [
  'BROOKLYN',
  'SAINT PAUL',
  'NEW YORK',
  'MIAMI',
  'HOUSTON',
  'LOS ANGELES',
  'COLUMBUS',
  'ATLANTA',
];
const STREETS = [
  'BRIGHTON BEACH AVENUE',
  'UNIVERSITY AVENUE W, STE',
  'W 191ST STREET, APT D',
  'NW 36 AVENUE',
];

/** mulberry32: a tiny seeded PRNG, so the same seed always gives the same file. */
export function prng(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Data rows (fields, not lines) for a file of `count` rows. */
export function* generateLeieRows(count: number, seed = 1): Generator<string[]> {
  const random = prng(seed);
  const pick = <T>(values: readonly T[]) => values[Math.floor(random() * values.length)] as T;
  const digits = (n: number) => Array.from({ length: n }, () => Math.floor(random() * 10)).join('');
  const date = (from: number, to: number) => {
    const year = from + Math.floor(random() * (to - from));
    const month = 1 + Math.floor(random() * 12);
    const day = 1 + Math.floor(random() * 28);
    return `${year}${String(month).padStart(2, '0')}${String(day).padStart(2, '0')}`;
  };
  for (let i = 0; i < count; i++) {
    const business = random() < 0.08;
    const npi = random() < 0.35 ? `1${digits(9)}` : '0000000000';
    const address = `${1 + Math.floor(random() * 9999)} ${pick(STREETS)}`;
    const waived = random() < 0.01;
    yield [
      business ? '' : pick(LAST),
      business ? '' : pick(FIRST),
      business || random() < 0.5 ? '' : `${String.fromCharCode(65 + Math.floor(random() * 26))} `,
      business ? `${i} ${pick(LAST)} HEALTH SERVICES, INC` : '',
      pick(GENERAL),
      pick(SPECIALTY),
      '',
      npi,
      business ? '' : date(1940, 2000),
      address,
      pick(CITIES),
      pick(STATES),
      digits(5),
      pick(EXCLTYPE),
      date(1985, 2026),
      '00000000',
      waived ? date(2010, 2026) : '00000000',
      waived ? pick(STATES) : '',
    ];
  }
}

/** Writes a generated file; returns its size in bytes. */
export async function writeLeieFile(file: string, options: { rows: number; seed?: number }): Promise<number> {
  const out = fs.createWriteStream(file);
  let bytes = 0;
  const write = async (chunk: string) => {
    bytes += Buffer.byteLength(chunk);
    if (!out.write(chunk)) await once(out, 'drain');
  };
  await write(LEIE_HEADER_LINE);
  let buffer = '';
  for (const row of generateLeieRows(options.rows, options.seed)) {
    buffer += formatLeieLine(row);
    if (buffer.length > 64 * 1024) {
      await write(buffer);
      buffer = '';
    }
  }
  await write(buffer);
  out.end();
  await once(out, 'finish');
  return bytes;
}

async function main() {
  const [file, rows = '82000', seed = '1'] = process.argv.slice(2);
  if (!file) {
    console.error('usage: npx tsx scripts/generate-leie.ts <out.csv> [rows=82000] [seed=1]');
    process.exit(64);
  }
  const bytes = await writeLeieFile(file, { rows: Number(rows), seed: Number(seed) });
  console.log(`${file}: ${rows} rows, ${(bytes / 1024 / 1024).toFixed(1)} MB`);
}

// No top-level await: tests import this module through mocha's CommonJS loader.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
