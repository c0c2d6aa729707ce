/**
 * Generates the lists of docs/spec.md §8 in their published layouts (../shared/data/README.md), any
 * size, deterministic for a seed: the SAM extract as a ZIP holding one CSV (every field quoted,
 * CRLF, MM/DD/YYYY, Indefinite, `-`/`XX` placeholders, firms, vessels, aliases), the Pennsylvania
 * Medicheck CSV (unquoted, `MM/DD/YYYY HH:MM:SS`) and the California Medi-Cal CSV (`N/A`). The
 * people of `include` come first, so a sample roster can match them.
 *
 *   npx tsx scripts/generate-exclusion-source.ts <sam|pa_medicheck|ca_medi_cal> <out> [rows] [seed=1]
 *
 * (rows default: 170000 for sam, the real extract's size; 2000 for the state lists.)
 */

import fs from 'node:fs';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import yazl from 'yazl';
import { CA_MEDI_CAL_COLUMNS } from '../domain/exclusion-sources/ca-medi-cal';
import { PA_MEDICHECK_COLUMNS } from '../domain/exclusion-sources/pa-medicheck';
import { SAM_COLUMNS } from '../domain/exclusion-sources/sam';
import { FIRST, LAST, prng, STATES } from './generate-leie';

/** A person to put in a generated list (sample mode: someone on the sample roster). */
export interface ListedPerson {
  firstName: string;
  lastName: string;
  middleName?: string;
  npi?: string;
}

export interface GenerateOptions {
  rows: number;
  seed?: number;
  include?: readonly ListedPerson[];
}

const pad = (n: number) => String(n).padStart(2, '0');

function randomTools(seed: number) {
  const random = prng(seed);
  const pick = <T>(values: readonly T[]) => values[Math.floor(random() * values.length)] as T;
  const digits = (n: number) => Array.from({ length: n }, () => Math.floor(random() * 10)).join('');
  const date = (from: number, to: number) =>
    `${pad(1 + Math.floor(random() * 12))}/${pad(1 + Math.floor(random() * 28))}/${from + Math.floor(random() * (to - from))}`;
  const letter = () => String.fromCharCode(65 + Math.floor(random() * 26));
  return { random, pick, digits, date, letter };
}

// ── SAM.gov Exclusions Public Extract V2 ─────────────────────────────────────────────────────────

const AGENCIES = ['HHS', 'OPM', 'TREAS-OFAC', 'DOJ', 'GSA', 'DOD'];
const SAM_TYPES = [
  'Prohibition/Restriction',
  'Ineligible (Proceedings Completed)',
  'Ineligible (Proceedings Pending)',
];

/** Data rows of a SAM extract, 31 fields each. */
export function* generateSamRows(options: GenerateOptions): Generator<string[]> {
  const { random, pick, digits, date, letter } = randomTools(options.seed ?? 1);
  const include = options.include ?? [];
  for (let i = 0; i < options.rows; i++) {
    const person = include[i];
    const roll = random();
    const classification = person
      ? 'Individual'
      : roll < 0.85
        ? 'Individual'
        : roll < 0.97
          ? 'Firm'
          : roll < 0.99
            ? 'Vessel'
            : 'Special Entity Designation';
    const individual = classification === 'Individual';
    const agency = pick(AGENCIES);
    const ofac = agency === 'TREAS-OFAC';
    const active = date(1990, 2026);
    const end = random();
    const first = person?.firstName ?? pick(FIRST);
    const last = person?.lastName ?? pick(LAST);
    const row: Record<(typeof SAM_COLUMNS)[number], string> = Object.fromEntries(
      SAM_COLUMNS.map((column) => [column, '']),
    ) as Record<(typeof SAM_COLUMNS)[number], string>;
    Object.assign(row, {
      Classification: classification,
      Name: individual
        ? ''
        : `${pick(LAST)} ${classification === 'Vessel' ? 'STAR' : 'HEALTH SERVICES LLC'} ${i}`,
      First: individual ? first : '',
      Middle: individual ? (person?.middleName ?? (random() < 0.4 ? letter() : ofac ? '-' : '')) : '',
      Last: individual ? last : '',
      Suffix: individual && random() < 0.03 ? 'JR' : '',
      'Address 1': ofac ? '-' : `${1 + Math.floor(random() * 9999)} SAMPLE ROAD`,
      City: ofac ? '-' : 'SPRINGFIELD',
      'State / Province': ofac ? 'XX' : pick(STATES),
      Country: 'USA',
      'Zip Code': digits(5),
      'Unique Entity ID': individual ? '' : `SAMP${digits(8)}`,
      'Exclusion Program': 'Reciprocal',
      'Excluding Agency': agency,
      'CT Code': pick(['A', 'Z1', 'Z2']),
      'Exclusion Type': pick(SAM_TYPES),
      'Active Date': active,
      'Termination Date': end < 0.7 ? 'Indefinite' : end < 0.85 ? date(1995, 2026) : date(2027, 2040),
      'Cross-Reference':
        individual && random() < 0.1 ? `(also ${letter()} ${last}, ${first} ${letter()} ${last})` : '',
      'SAM Number': `S4MR${digits(7)}`,
      CAGE: individual ? '' : `${digits(1)}${letter()}${digits(3)}`,
      NPI: person?.npi ?? (individual && random() < 0.2 ? `1${digits(9)}` : ''),
      Creation_Date: active,
    });
    yield SAM_COLUMNS.map((column) => row[column]);
  }
}

/** Every field quoted, `"` doubled, CRLF: the extract's own quoting. */
export const formatSamLine = (fields: readonly string[]) =>
  `${fields.map((field) => `"${field.replaceAll('"', '""')}"`).join(',')}\r\n`;

export const SAM_HEADER_LINE = formatSamLine(SAM_COLUMNS);

/** The CSV's name in the ZIP, as SAM names it: `SAM_Exclusions_Public_Extract_V2_YYDDD.CSV`. */
export const SAM_CSV_NAME = 'SAM_Exclusions_Public_Extract_V2_26338.CSV';

// ── Pennsylvania Medicheck and California Medi-Cal ───────────────────────────────────────────────

/** Data rows of a Medicheck CSV (15 fields; dates `MM/DD/YYYY HH:MM:SS`). */
export function* generatePaMedicheckRows(options: GenerateOptions): Generator<string[]> {
  const { random, pick, digits, date, letter } = randomTools(options.seed ?? 2);
  const include = options.include ?? [];
  for (let i = 0; i < options.rows; i++) {
    const person = include[i];
    const business = !person && random() < 0.15;
    const ended = !person && random() < 0.1;
    const last = person?.lastName ?? pick(LAST);
    const first = person?.firstName ?? pick(FIRST);
    const begin = `${date(2000, 2010)} 00:00:00`;
    yield [
      business ? '' : last,
      business ? '' : first,
      business ? '' : (person?.middleName ?? (random() < 0.4 ? letter() : '')),
      '',
      business ? '' : pick(['RN', 'LPN', 'MD', '']),
      business ? `${pick(LAST)} PHARMACY INC ${i}` : '',
      !business && random() < 0.05 ? `${first} ${letter()} ${pick(LAST)}` : '',
      person?.npi ?? (random() < 0.3 ? `1${digits(9)}` : ''),
      business ? `${digits(2)}-${digits(7)}` : '',
      business ? '' : `RN${digits(6)}`,
      'Precluded',
      begin,
      ended ? `${date(2010, 2026)} 00:00:00` : '',
      begin,
      pick(['Philadelphia', 'Allegheny', 'Erie', 'Dauphin']),
    ];
  }
}

/** Data rows of a Medi-Cal CSV (11 fields; `N/A` for none). */
export function* generateCaMediCalRows(options: GenerateOptions): Generator<string[]> {
  const { random, pick, digits, date } = randomTools(options.seed ?? 3);
  const include = options.include ?? [];
  for (let i = 0; i < options.rows; i++) {
    const person = include[i];
    const business = !person && random() < 0.15;
    const last = person?.lastName ?? pick(LAST);
    const first = person?.firstName ?? pick(FIRST);
    yield [
      business ? 'N/A' : last,
      business ? 'N/A' : first,
      business ? 'N/A' : (person?.middleName ?? 'N/A'),
      !business && random() < 0.08 ? `${first} ${pick(LAST)}` : 'N/A',
      business ? `${pick(LAST)} MEDICAL CLINIC ${i}` : 'N/A',
      `${1 + Math.floor(random() * 9999)} EXAMPLE AVE, FRESNO, CA ${digits(5)}`,
      business ? 'Clinic' : pick(['Registered Nurse', 'Physician', 'Pharmacist']),
      business ? 'N/A' : `RN ${digits(6)}`,
      person?.npi ?? (random() < 0.3 ? `1${digits(9)}` : 'N/A'),
      date(2000, 2026).replace(/^0/, '').replace('/0', '/'),
      'Indefinite',
    ];
  }
}

/** A CSV line quoting only the fields that need it (the state lists' own style). */
export const formatPlainLine = (fields: readonly string[]) =>
  `${fields.map((field) => (/[",\r\n]/.test(field) ? `"${field.replaceAll('"', '""')}"` : field)).join(',')}\r\n`;

export const PA_MEDICHECK_HEADER_LINE = formatPlainLine(PA_MEDICHECK_COLUMNS);
export const CA_MEDI_CAL_HEADER_LINE = formatPlainLine(CA_MEDI_CAL_COLUMNS);

// ── Files ────────────────────────────────────────────────────────────────────────────────────────

/** The header and lines as a stream of text chunks of ≈ 64 KB. */
function csvStream(header: string, rows: Iterable<string[]>, format: (fields: string[]) => string): Readable {
  return Readable.from(
    (function* () {
      let buffer = header;
      for (const row of rows) {
        buffer += format(row);
        if (buffer.length > 64 * 1024) {
          yield buffer;
          buffer = '';
        }
      }
      if (buffer !== '') yield buffer;
    })(),
    { objectMode: false },
  );
}

export interface ZipEntrySpec {
  /** A name ending in `/` is a folder (its content is ignored). */
  name: string;
  content: Buffer | string | Readable;
  /** Deflate (default) or store. */
  compress?: boolean;
}

/** A ZIP of the entries (deflated as streams, so a large entry never sits in memory whole). */
export function zipStream(entries: readonly ZipEntrySpec[]): Readable {
  const zip = new yazl.ZipFile();
  for (const entry of entries) {
    const options = { compress: entry.compress ?? true, mtime: new Date('2026-12-04T00:00:00Z') };
    if (entry.name.endsWith('/')) zip.addEmptyDirectory(entry.name, { mtime: options.mtime });
    else if (entry.content instanceof Readable) zip.addReadStream(entry.content, entry.name, options);
    else zip.addBuffer(Buffer.from(entry.content), entry.name, options);
  }
  zip.end();
  const out = new PassThrough();
  zip.outputStream.pipe(out);
  return out;
}

export async function zipBuffer(entries: readonly ZipEntrySpec[]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of zipStream(entries)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The SAM extract's CSV as a stream. */
export const samCsvStream = (options: GenerateOptions) =>
  csvStream(SAM_HEADER_LINE, generateSamRows(options), formatSamLine);

/** The SAM extract as SAM ships it: a ZIP holding one CSV. */
export const samExtractZip = (options: GenerateOptions) =>
  zipStream([{ name: SAM_CSV_NAME, content: samCsvStream(options) }]);

export const paMedicheckCsv = (options: GenerateOptions) =>
  csvStream(PA_MEDICHECK_HEADER_LINE, generatePaMedicheckRows(options), formatPlainLine);

export const caMediCalCsv = (options: GenerateOptions) =>
  csvStream(CA_MEDI_CAL_HEADER_LINE, generateCaMediCalRows(options), formatPlainLine);

const GENERATORS = {
  sam: { stream: samExtractZip, rows: 170_000 },
  pa_medicheck: { stream: paMedicheckCsv, rows: 2000 },
  ca_medi_cal: { stream: caMediCalCsv, rows: 2000 },
} as const;

/** Writes a generated list to `file`; returns its size in bytes. */
export async function writeExclusionSource(
  source: keyof typeof GENERATORS,
  file: string,
  options: Partial<GenerateOptions> = {},
): Promise<number> {
  const generator = GENERATORS[source];
  const out = fs.createWriteStream(file);
  await pipeline(generator.stream({ rows: options.rows ?? generator.rows, ...options }), out);
  return (await fs.promises.stat(file)).size;
}

async function main() {
  const [source, file, rows, seed] = process.argv.slice(2);
  if (!source || !file || !(source in GENERATORS)) {
    console.error(
      `usage: npx tsx scripts/generate-exclusion-source.ts <${Object.keys(GENERATORS).join('|')}> <out> [rows] [seed=1]`,
    );
    process.exit(64);
  }
  const bytes = await writeExclusionSource(source as keyof typeof GENERATORS, file, {
    ...(rows ? { rows: Number(rows) } : {}),
    ...(seed ? { seed: Number(seed) } : {}),
  });
  console.log(`${file}: ${(bytes / 1024 / 1024).toFixed(1)} MB`);
}

// No top-level await: tests import this module through mocha's CommonJS loader.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
