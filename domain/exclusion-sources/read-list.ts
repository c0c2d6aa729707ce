import type { Readable } from 'node:stream';
import { Readable as ReadableStream } from 'node:stream';
import { CsvError, type Options, parse } from 'csv-parse';
import { type RecordHash, RecordHashCopies, SaltedHasher } from '../leie-record-hashes';
import { CsvRecordSplitter } from './csv-records';
import { ExclusionSourceFailureType, ExclusionSourceFormatError, looksLikeMarkup } from './failures';
import type { ExclusionRecord, ExclusionSourceAdapter } from './source';
import { ListTranscoder } from './transcoder';

/**
 * Reads a list's CSV bytes with its adapter (docs/exclusion-sources.md): refuses what is not the
 * CSV, checks the header before any row, decodes UTF-8 or Windows-1252, and yields the records in
 * file order while counting the rows the adapter rejects. Pure streams: the caller brings the bytes
 * (a download, a file, `openZippedCsv`) and decides what to do with the records.
 */

/** A data row that became a record; `row` counts the file's records, the header being row 1. */
export interface ListRecord {
  row: number;
  record: ExclusionRecord;
  /** The record's hash as the file holds it (its bytes under the header): what the list stores. */
  hash?: RecordHash;
}

/** A record as csv-parse gives it with `info`: its fields and where it ends in the bytes read. */
interface ParsedRecord {
  record: string[];
  info: { bytes: number };
}

export interface RowRejection {
  row: number;
  reason: string;
}

/** Rejections kept with their reason (all are counted): enough to show a check's problems. */
export const MAX_REJECTIONS_KEPT = 100;
/** A record longer than this is a runaway quote, not a row of any list. */
export const MAX_LIST_RECORD_BYTES = 1024 * 1024;
/** Records handed on at once: one promise per batch instead of per record. */
const BATCH_RECORDS = 512;
/** Bytes looked at before deciding the body is a CSV at all. */
const SNIFF_BYTES = 1024;

const HEX_KEY = /^[0-9a-f]{64}$/;

/**
 * A key as the reader remembers it for the whole file: a sha256 key (every adapter's, fields.ts) as
 * its first 16 bytes in a 16-character latin1 string instead of 64 hex characters, so the keys of a
 * list of ≈ 200k records weigh a few MB in the worker's heap.
 */
function compactKey(key: string): string {
  return HEX_KEY.test(key) ? Buffer.from(key, 'hex').toString('latin1', 0, 16) : key;
}

/**
 * Bumped when the reader turns the same bytes into other records (its csv-parse options, the
 * cutting of records in csv-records.ts): a list's record hashes are of its bytes under this revision
 * and the adapter's, so records stored by an older reader are all read again once.
 */
const READER_REVISION = 1;

export interface ReadOptions {
  /**
   * Asked with each data record's hash (its bytes under this header, reader and adapter) before it
   * is parsed: true when the list in force holds that record as it is. Such a record is counted as
   * kept and not parsed at all: a month's file differs from the list by a few percent.
   */
  keep?: (hash: RecordHash) => boolean;
}

/** A record fed to the parser, waiting for its fields: where it lies in the fed bytes, its hash and row. */
interface FedRecord {
  start: number;
  end: number;
  hash: RecordHash;
  row: number;
}

/** One reader per file: it numbers repeated keys and counts across the whole file. */
export class ExclusionListReader {
  /** Data rows read (records parsed, kept, or rejected). */
  rows = 0;
  /** Records read: parsed and yielded, or kept as the list holds them. */
  records = 0;
  /** Records the list holds as they are (`keep`), not parsed. */
  kept = 0;
  rejectedCount = 0;
  /** The first MAX_REJECTIONS_KEPT rejections, in file order. */
  readonly rejections: RowRejection[] = [];
  private readonly transcoder = new ListTranscoder();
  /** Records per exclusion key so far: a repeated record gets `#n`, numbered in file order, like the LEIE's. */
  private readonly keys = new Map<string, number>();

  constructor(private readonly adapter: ExclusionSourceAdapter) {}

  /** `windows-1252` or `mixed` when the file was not (only) UTF-8: worth a note on the check. */
  get encoding(): ListTranscoder['encoding'] {
    return this.transcoder.encoding;
  }

  /**
   * The records the list does not hold as they are, in batches, each with its hash when the file
   * shows it (absent when the record was read in pass-through, csv-records.ts). Throws
   * `ExclusionSourceFormatError` for a body that is no CSV, a bad header or broken CSV.
   */
  async *read(body: Readable, options: ReadOptions = {}): AsyncGenerator<ListRecord[]> {
    const parser = parse({
      bom: true,
      relax_column_count: true,
      // A stray quote inside an unquoted field (`JOHN "JACK" DOE`) is text, as spreadsheets read it.
      relax_quotes: true,
      skip_empty_lines: true,
      // Both line ends, even in one file (a list appended to by another tool).
      record_delimiter: ['\r\n', '\n'],
      max_record_size: MAX_LIST_RECORD_BYTES,
      // Each record's end in the fed bytes, to tie it to the record the splitter hashed.
      info: true,
      // Passed on to the stream: room for a whole batch of parsed records.
      readableHighWaterMark: BATCH_RECORDS,
    } as Options);
    const fed: FedRecord[] = [];
    // Records the splitter counted before it turned to pass-through: rows go on from there.
    const passedThrough = { fromRow: 0 };
    const source = ReadableStream.from(this.parserInput(body, fed, options.keep, passedThrough), {
      objectMode: false,
    });
    source.on('error', (error) => parser.destroy(error));
    source.pipe(parser);
    let columns: ((row: string[]) => Record<string, string>) | undefined;
    let width = 0;
    let row = 0;
    let parsedTo = 0;
    let next = 0;
    try {
      for await (const first of parser) {
        const batch: ListRecord[] = [];
        for (let parsed: ParsedRecord | null = first; parsed !== null; parsed = parser.read()) {
          const { record: fields, info } = parsed;
          // The fed record this one is, when it is exactly one (not cut or joined by the parser).
          while (next < fed.length && (fed[next] as FedRecord).end < info.bytes) next++;
          const mine = fed[next];
          const whole = mine !== undefined && mine.end === info.bytes && mine.start === parsedTo;
          if (mine !== undefined && mine.end === info.bytes) next++;
          if (next > 4096) next -= fed.splice(0, next).length;
          parsedTo = info.bytes;
          row =
            mine !== undefined && mine.end === info.bytes
              ? mine.row
              : Math.max(row, passedThrough.fromRow) + 1;
          if (columns === undefined) {
            const header = this.adapter.readHeader(fields);
            if ('problem' in header) {
              throw new ExclusionSourceFormatError(
                ExclusionSourceFailureType.missingColumn,
                `${this.adapter.name}: ${header.problem}`,
              );
            }
            columns = header.columns;
            width = fields.length;
            continue;
          }
          this.rows++;
          if (fields.length !== width) {
            this.reject(row, `has ${fields.length} fields, the header has ${width}`);
            continue;
          }
          const record = this.adapter.parseRow(columns(fields));
          if ('rejected' in record) {
            this.reject(row, record.rejected);
            continue;
          }
          this.records++;
          const numbered = this.numbered(record);
          batch.push(
            whole ? { row, record: numbered, hash: (mine as FedRecord).hash } : { row, record: numbered },
          );
          if (batch.length >= BATCH_RECORDS) break;
        }
        if (batch.length > 0) yield batch;
      }
    } catch (error) {
      if (error instanceof CsvError) {
        throw new ExclusionSourceFormatError(
          ExclusionSourceFailureType.malformedCsv,
          `${this.adapter.name}: the CSV is malformed after row ${row} (${error.message})`,
        );
      }
      throw error;
    } finally {
      source.destroy();
      body.destroy();
    }
    if (columns === undefined) {
      throw new ExclusionSourceFormatError(
        ExclusionSourceFailureType.empty,
        `${this.adapter.name}: the file is empty`,
      );
    }
  }

  /**
   * The bytes the parser reads: the body as UTF-8, cut into records; the header and every record
   * `keep` does not claim are fed (and listed in `fed`), the kept ones counted and dropped.
   */
  private async *parserInput(
    body: Readable,
    fed: FedRecord[],
    keep: ReadOptions['keep'],
    passedThrough: { fromRow: number },
  ): AsyncGenerator<Buffer> {
    let out: Buffer[] = [];
    let offset = 0;
    let rows = 0;
    let salt: Buffer | null = null;
    const hasher = new SaltedHasher();
    const copies = new RecordHashCopies();
    const feed = (bytes: Buffer) => {
      out.push(bytes);
      offset += bytes.length;
    };
    const splitter = new CsvRecordSplitter(
      {
        record: (bytes) => {
          rows++;
          if (salt === null) {
            salt = hasher.salt(`${READER_REVISION}:${this.adapter.id}:${this.adapter.revision}:`, bytes);
            fed.push({ start: offset, end: offset + bytes.length, hash: '', row: rows });
            feed(bytes);
            return;
          }
          const hash = copies.own(hasher.hash(bytes));
          if (keep?.(hash)) {
            this.rows++;
            this.records++;
            this.kept++;
            return;
          }
          fed.push({ start: offset, end: offset + bytes.length, hash, row: rows });
          feed(bytes);
        },
        passThrough: (bytes) => {
          if (splitter.passingThrough && passedThrough.fromRow === 0) passedThrough.fromRow = rows;
          feed(bytes);
        },
      },
      MAX_LIST_RECORD_BYTES,
    );
    for await (const chunk of this.utf8(body)) {
      splitter.push(chunk);
      if (out.length > 0) {
        yield out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out);
        out = [];
      }
    }
    splitter.end();
    if (out.length > 0) yield Buffer.concat(out);
  }

  private reject(row: number, reason: string) {
    this.rejectedCount++;
    if (this.rejections.length < MAX_REJECTIONS_KEPT) this.rejections.push({ row, reason });
  }

  private numbered(record: ExclusionRecord): ExclusionRecord {
    const key = compactKey(record.exclusionKey);
    const seen = (this.keys.get(key) ?? 0) + 1;
    this.keys.set(key, seen);
    return seen === 1 ? record : { ...record, exclusionKey: `${record.exclusionKey}#${seen}` };
  }

  /** The body as UTF-8, after checking its first bytes are not an HTML page or a ZIP. */
  private async *utf8(body: Readable): AsyncGenerator<Buffer> {
    const chunks = body[Symbol.asyncIterator]();
    const head: Buffer[] = [];
    let headBytes = 0;
    let done = false;
    while (headBytes < SNIFF_BYTES) {
      const next = await chunks.next();
      if (next.done) {
        done = true;
        break;
      }
      const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
      head.push(chunk);
      headBytes += chunk.length;
    }
    const first = Buffer.concat(head);
    this.checkBody(first);
    yield this.transcoder.write(first);
    if (!done) {
      for (;;) {
        const next = await chunks.next();
        if (next.done) break;
        const bytes = this.transcoder.write(next.value as Buffer);
        if (bytes.length > 0) yield bytes;
      }
    }
    const tail = this.transcoder.end();
    if (tail.length > 0) yield tail;
  }

  private checkBody(first: Buffer) {
    const name = this.adapter.name;
    const text = first.toString('latin1');
    if (text.replace(/^\xEF\xBB\xBF/, '').trim() === '') {
      throw new ExclusionSourceFormatError(ExclusionSourceFailureType.empty, `${name}: the file is empty`);
    }
    if (first.length >= 4 && first.readUInt32LE(0) === 0x04034b50) {
      throw new ExclusionSourceFormatError(
        ExclusionSourceFailureType.notCsv,
        `${name}: the download is a ZIP archive, not the CSV`,
      );
    }
    if (looksLikeMarkup(text.replace(/^\xEF\xBB\xBF/, ''))) {
      throw new ExclusionSourceFormatError(
        ExclusionSourceFailureType.notCsv,
        `${name}: the download is an HTML/XML page, not the CSV (an error or login page served with status 200?)`,
      );
    }
  }
}
