import { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { CsvError, type Options, parse } from 'csv-parse';
import type ExcelJS from 'exceljs';
import { detectDelimiter, RosterFileError, RosterTextDecoder } from '../domain/roster-file';
import type { Cell } from '../domain/roster-row';
import { excelCell, firstWorksheetRows, XLSX_LIMITS } from './xlsx-workbook';

export interface SourceRecord {
  /** 1-based record number in the file (the header is 1), as a spreadsheet shows it. */
  rowNumber: number;
  cells: Cell[];
}

export interface RosterSource {
  bucket: string;
  key: string;
  etag: string | null;
  format: 'csv' | 'xlsx';
}

/** A record longer than this is a broken file (e.g. an unterminated quote), not a row. */
const MAX_RECORD_BYTES = 4 * 1024 * 1024;
/** Declared uncompressed XLSX content above these is refused before the download. */
const MAX_XLSX_ENTRY_RATIO = 100;
const RATIO_CHECK_FROM_BYTES = 32 * 1024 * 1024;

function s3ErrorName(error: unknown): string {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  if (e.$metadata?.httpStatusCode === 404) return 'NoSuchKey';
  if (e.$metadata?.httpStatusCode === 412) return 'PreconditionFailed';
  return e.name ?? '';
}

function sourceError(error: unknown, source: RosterSource): unknown {
  const name = s3ErrorName(error);
  if (name === 'NoSuchKey' || name === 'NotFound') {
    return new RosterFileError('FileNotFound', `No object s3://${source.bucket}/${source.key} exists.`);
  }
  if (name === 'PreconditionFailed') {
    return new RosterFileError(
      'FileChanged',
      `s3://${source.bucket}/${source.key} was replaced during the import; upload it again to import the new version.`,
    );
  }
  return error;
}

/** The object's ETag and size; a missing key is a file-level failure. */
export async function headRosterObject(s3: S3Client, source: Omit<RosterSource, 'etag'>) {
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: source.bucket, Key: source.key }));
    return { etag: head.ETag ?? null, size: head.ContentLength ?? 0 };
  } catch (error) {
    throw sourceError(error, { ...source, etag: null });
  }
}

async function getObjectStream(s3: S3Client, source: RosterSource, range?: string): Promise<Readable> {
  try {
    const object = await s3.send(
      new GetObjectCommand({
        Bucket: source.bucket,
        Key: source.key,
        IfMatch: source.etag ?? undefined,
        Range: range,
      }),
    );
    return object.Body as Readable;
  } catch (error) {
    throw sourceError(error, source);
  }
}

async function readRange(s3: S3Client, source: RosterSource, start: number, end: number): Promise<Buffer> {
  const body = await getObjectStream(s3, source, `bytes=${start}-${end}`);
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function csvErrorMessage(error: CsvError): string {
  const line = (error as unknown as { lines?: number }).lines;
  const where = line ? ` (line ${line})` : '';
  switch (error.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return `A quoted field is never closed${where}: check for an unmatched double quote.`;
    case 'CSV_MAX_RECORD_SIZE':
      return `A record is larger than ${MAX_RECORD_BYTES} bytes${where}: most likely an unmatched double quote.`;
    default:
      return `The CSV is malformed${where}: ${error.message}`;
  }
}

/** Records parsed at once, handed on together: one promise per chunk instead of per record. */
const CSV_CHUNK_RECORDS = 256;

async function* csvRecords(body: Readable, decoder: RosterTextDecoder): AsyncGenerator<SourceRecord[]> {
  const chunks = body[Symbol.asyncIterator]();
  let head = '';
  let finished = false;
  // The delimiter is chosen from the header line, so read until its end (bounded) before parsing.
  while (!/\r|\n/.test(head) && head.length < 65_536) {
    const next = await chunks.next();
    if (next.done) {
      head += decoder.end();
      finished = true;
      break;
    }
    head += decoder.write(next.value as Buffer);
  }
  const delimiter = detectDelimiter(head.replace(/^\uFEFF/, '').split(/\r?\n|\r/, 1)[0] ?? '');
  async function* text() {
    if (head) yield head;
    if (finished) return;
    for (;;) {
      const next = await chunks.next();
      if (next.done) break;
      const decoded = decoder.write(next.value as Buffer);
      if (decoded) yield decoded;
    }
    const tail = decoder.end();
    if (tail) yield tail;
  }
  const source = Readable.from(text(), { objectMode: false });
  const parser = parse({
    delimiter,
    bom: true,
    relax_column_count: true,
    relax_quotes: true,
    max_record_size: MAX_RECORD_BYTES,
    // Passed on to the stream: room for a whole chunk of parsed records.
    readableHighWaterMark: CSV_CHUNK_RECORDS,
  } as Options);
  source.on('error', (error) => parser.destroy(error));
  source.pipe(parser);
  let rowNumber = 0;
  try {
    // The iterator reads the parser with read() too, so taking what else is buffered is safe.
    for await (const first of parser) {
      const chunk: SourceRecord[] = [{ rowNumber: ++rowNumber, cells: first as string[] }];
      while (chunk.length < CSV_CHUNK_RECORDS) {
        const record: string[] | null = parser.read();
        if (record === null) break;
        chunk.push({ rowNumber: ++rowNumber, cells: record });
      }
      yield chunk;
    }
  } catch (error) {
    if (error instanceof CsvError) throw new RosterFileError('MalformedCsv', csvErrorMessage(error));
    throw error;
  } finally {
    source.destroy();
    body.destroy();
  }
}

/** Reads the zip's central directory (a ranged GET of the tail) and refuses non-zips and zip bombs. */
export async function inspectXlsx(s3: S3Client, source: RosterSource, size: number): Promise<void> {
  const notXlsx = new RosterFileError(
    'NotXlsx',
    'The file is not an XLSX workbook (it is not a zip archive).',
  );
  if (size < 22) throw notXlsx;
  const magic = await readRange(s3, source, 0, 3);
  if (magic.readUInt32LE(0) !== 0x04034b50) throw notXlsx;
  const tailStart = Math.max(0, size - 65_557);
  const tail = await readRange(s3, source, tailStart, size - 1);
  const eocd = tail.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw notXlsx;
  const directorySize = tail.readUInt32LE(eocd + 12);
  const directoryOffset = tail.readUInt32LE(eocd + 16);
  if (directorySize > 16 * 1024 * 1024 || directoryOffset + directorySize > size) throw notXlsx;
  const directory =
    directoryOffset >= tailStart
      ? tail.subarray(directoryOffset - tailStart, directoryOffset - tailStart + directorySize)
      : await readRange(s3, source, directoryOffset, directoryOffset + directorySize - 1);
  let total = 0;
  for (let at = 0; at + 46 <= directory.length; ) {
    if (directory.readUInt32LE(at) !== 0x02014b50) throw notXlsx;
    const compressed = directory.readUInt32LE(at + 20);
    const uncompressed = directory.readUInt32LE(at + 24);
    total += uncompressed;
    const ratio = uncompressed / Math.max(compressed, 1);
    // 0xFFFFFFFF means ZIP64 sizes: more than any roster we accept.
    if (
      uncompressed === 0xffffffff ||
      total > XLSX_LIMITS.inflatedBytes ||
      (uncompressed > RATIO_CHECK_FROM_BYTES && ratio > MAX_XLSX_ENTRY_RATIO)
    ) {
      throw new RosterFileError(
        'XlsxTooLarge',
        'The XLSX expands to far more data than a roster holds (a zip bomb?); it was not opened.',
      );
    }
    at +=
      46 +
      directory.readUInt16LE(at + 28) +
      directory.readUInt16LE(at + 30) +
      directory.readUInt16LE(at + 32);
  }
}

/** The first worksheet's rows as roster records. */
export async function* xlsxRecords(body: Readable): AsyncGenerator<SourceRecord[]> {
  for await (const row of firstWorksheetRows(body)) {
    const values = row.values as ExcelJS.CellValue[];
    const cells: Cell[] = [];
    for (let i = 1; i < values.length; i++) cells.push(excelCell(values[i]));
    yield [{ rowNumber: row.number, cells }];
  }
}

/**
 * Streams the records of a roster object (CSV or the first XLSX worksheet), header included.
 * Nothing holds the whole file: S3 → decoder → parser → caller, with backpressure.
 */
export async function openRosterRecords(
  s3: S3Client,
  source: RosterSource,
  size: number,
): Promise<{ records: AsyncGenerator<SourceRecord[]>; decoder: RosterTextDecoder | null }> {
  if (source.format === 'xlsx') {
    await inspectXlsx(s3, source, size);
    return { records: xlsxRecords(await getObjectStream(s3, source)), decoder: null };
  }
  const decoder = new RosterTextDecoder();
  return { records: csvRecords(await getObjectStream(s3, source), decoder), decoder };
}
