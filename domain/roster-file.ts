import { isAscii } from 'node:buffer';
import type { RosterKind } from '../lib/workflow-contracts';
import {
  type Cell,
  cellText,
  describeMissingColumn,
  mapHeader,
  type RowResult,
  validateRosterRow,
  withoutNul,
} from './roster-row';

/**
 * A roster file as text and records, apart from where its bytes come from: the problems that fail
 * a whole file, decoding its bytes, its delimiter, and reading its records into validated rows.
 */

/** A problem with the file as a whole: the import fails with this message, without retries. */
export class RosterFileError extends Error {
  constructor(
    readonly type:
      | 'FileNotFound'
      | 'FileChanged'
      | 'EmptyFile'
      | 'MissingColumns'
      | 'NotUtf8'
      | 'NotText'
      | 'MalformedCsv'
      | 'NotXlsx'
      | 'XlsxTooLarge'
      | 'TooManyRows',
    message: string,
  ) {
    super(message);
    this.name = 'RosterFileError';
  }
}

/**
 * Decodes bytes to text. UTF-8 (BOM stripped by the parser) is the norm; a UTF-16 BOM is transcoded;
 * a file that turns out not to be UTF-8 while everything before was plain ASCII is read as
 * Windows-1252 (what Excel's "CSV" saves on Windows) — for such a file both readings of the ASCII
 * prefix are identical. Invalid bytes after genuine UTF-8 text are a mixed file and rejected. So is
 * what no CSV starts with (docs/spec.md §4.2: transcoded or rejected with a clear file-level
 * error): a ZIP (an XLSX workbook sent as CSV), UTF-32, UTF-16 without its BOM, binary data —
 * which every reading above would turn into a "missing column" instead.
 */
export class RosterTextDecoder {
  encoding: 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1252' = 'utf-8';
  private decoder = new TextDecoder('utf-8', { fatal: true });
  private started = false;
  private sawNonAscii = false;
  private offset = 0;

  write(chunk: Buffer): string {
    if (!this.started) {
      this.started = true;
      refuseWhatIsNoCsv(chunk);
      if (chunk[0] === 0xff && chunk[1] === 0xfe) this.switchTo('utf-16le');
      else if (chunk[0] === 0xfe && chunk[1] === 0xff) this.switchTo('utf-16be');
    }
    const text = this.decode(chunk, true);
    this.offset += chunk.length;
    return text;
  }

  end(): string {
    return this.decode(Buffer.alloc(0), false);
  }

  private switchTo(encoding: RosterTextDecoder['encoding']) {
    this.encoding = encoding;
    this.decoder = new TextDecoder(encoding, { fatal: false, ignoreBOM: false });
  }

  private decode(chunk: Buffer, stream: boolean): string {
    if (this.encoding !== 'utf-8') return this.decoder.decode(chunk, { stream });
    try {
      const text = this.decoder.decode(chunk, { stream });
      if (!this.sawNonAscii && !isAscii(chunk)) this.sawNonAscii = true;
      return text;
    } catch {
      if (this.sawNonAscii || startsWithUtf8Sequence(chunk)) {
        throw new RosterFileError(
          'NotUtf8',
          `The file is not valid UTF-8 (invalid bytes near byte ${this.offset + firstInvalidUtf8(chunk)}); save it as "CSV UTF-8".`,
        );
      }
      this.switchTo('windows-1252');
      return this.decoder.decode(chunk, { stream });
    }
  }
}

/** Bytes looked at for NULs and control characters at a file's start. */
const SNIFF_BYTES = 4096;

/** The first chunk of a file that is no CSV of any encoding read here: a file-level error naming what it is. */
function refuseWhatIsNoCsv(first: Buffer) {
  const starts = (...bytes: number[]) => bytes.every((byte, i) => first[i] === byte);
  if (starts(0x50, 0x4b, 0x03, 0x04)) {
    throw new RosterFileError(
      'NotText',
      'The file is a ZIP archive (an XLSX workbook?), not a CSV: send a workbook as XLSX ' +
        '(Content-Type application/vnd.openxmlformats-officedocument.spreadsheetml.sheet, or a key ending in .xlsx).',
    );
  }
  if (starts(0xff, 0xfe, 0x00, 0x00) || starts(0x00, 0x00, 0xfe, 0xff)) {
    throw new RosterFileError(
      'NotText',
      'The file is UTF-32, which is not read here; save it as "CSV UTF-8".',
    );
  }
  if (starts(0xff, 0xfe) || starts(0xfe, 0xff)) return;
  // A NUL in a row of text is that row's problem (roster-row.ts); UTF-16 without its BOM has one in
  // every other byte, and other binary data a control character in one byte of a few dozen (counted
  // from a few dozen on, so that a short file with a stray NUL is still read).
  const head = first.subarray(0, SNIFF_BYTES);
  let nul = 0;
  let control = 0;
  for (const byte of head) {
    if (byte === 0) nul++;
    else if (byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0c && byte !== 0x0d) control++;
  }
  if (nul * 4 >= head.length) {
    throw new RosterFileError(
      'NotText',
      'The file is UTF-16 or UTF-32 without a byte-order mark (a NUL in every other byte); save it as "CSV UTF-8".',
    );
  }
  if (nul + control >= 32 && (nul + control) * 20 >= head.length) {
    throw new RosterFileError(
      'NotText',
      'The file is not text (binary bytes at its start); send the roster as CSV UTF-8.',
    );
  }
}

/** Where the first byte that cannot be UTF-8 lies in `chunk` (its length when there is none). */
function firstInvalidUtf8(chunk: Buffer): number {
  let at = 0;
  while (at < chunk.length) {
    const length = utf8SequenceLength(chunk[at] as number);
    if (length === 0 || !isUtf8SequenceAt(chunk, at, length)) return at;
    at += length;
  }
  return at;
}

/** True when the chunk's first non-ASCII byte begins a well-formed UTF-8 sequence (so the file is UTF-8). */
function startsWithUtf8Sequence(chunk: Buffer): boolean {
  const at = chunk.findIndex((byte) => byte >= 0x80);
  if (at < 0) return false;
  const length = utf8SequenceLength(chunk[at] as number);
  return length > 0 && isUtf8SequenceAt(chunk, at, length);
}

/** The length of the UTF-8 sequence a byte begins: 1 for ASCII, 0 for a byte no sequence begins with. */
function utf8SequenceLength(lead: number): number {
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

function isUtf8SequenceAt(chunk: Buffer, at: number, length: number): boolean {
  if (length === 1) return true;
  if (at + length > chunk.length) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(chunk.subarray(at, at + length));
    return true;
  } catch {
    return false;
  }
}

/** The delimiter the header line uses most, outside quotes: comma, semicolon, tab or pipe. */
export function detectDelimiter(headerLine: string): string {
  const counts = new Map<string, number>([
    [',', 0],
    [';', 0],
    ['\t', 0],
    ['|', 0],
  ]);
  let quoted = false;
  for (const char of headerLine) {
    if (char === '"') quoted = !quoted;
    else if (!quoted && counts.has(char)) counts.set(char, (counts.get(char) ?? 0) + 1);
  }
  let best = ',';
  let bestCount = 0;
  for (const [delimiter, count] of counts) {
    if (count > bestCount) {
      best = delimiter;
      bestCount = count;
    }
  }
  return best;
}

/** A roster file's header: canonical column per source column (null: ignored), and the columns present. */
export interface RosterHeader {
  columns: (string | null)[];
  present: string[];
  /** Headers that matched no roster field. */
  unknown: string[];
  /** Each present column's header as the file writes it, so messages name what the file says. */
  labels: Record<string, string>;
}

/** What `RosterRecordReader.read` returns for the header record. */
export const HEADER = Symbol('header');

const isBlank = (cells: Cell[]) =>
  cells.every((cell) => cell === null || cell === undefined || String(cell).trim() === '');

/**
 * Reads a roster file's records in order: blank records are skipped, the first other one is the
 * header (it must have the kind's required columns), and each later one is a row, validated. The
 * first `skipRows` rows (committed before a resume) are skipped.
 */
export class RosterRecordReader {
  header: RosterHeader | null = null;
  private seen = 0;

  constructor(
    private readonly kind: RosterKind,
    private readonly options: { today: string; skipRows: number },
  ) {}

  /** The record's validated row; HEADER for the header; null for a record that is no row to write. */
  read(cells: Cell[]): RowResult | typeof HEADER | null {
    if (isBlank(cells)) return null;
    const header = this.header;
    if (header === null) {
      this.header = rosterHeader(this.kind, cells);
      return HEADER;
    }
    this.seen++;
    if (this.seen <= this.options.skipRows) return null;
    const rowCells: Record<string, Cell> = {};
    for (let index = 0; index < header.columns.length; index++) {
      const column = header.columns[index];
      if (!column) continue;
      const previous = rowCells[column];
      // A repeatable column given twice (`AKA` and `Maiden Name`): both cells, as one list.
      rowCells[column] =
        previous === undefined || previous === null || previous === ''
          ? cells[index]
          : cells[index] === null || cells[index] === undefined || cells[index] === ''
            ? previous
            : `${cellText(previous) ?? ''}; ${cellText(cells[index]) ?? ''}`;
    }
    return validateRosterRow(this.kind, rowCells, {
      today: this.options.today,
      fieldName: (column) => header.labels[column] ?? column,
    });
  }

  /** At the end of the file: a file without a header or without rows fails. */
  finish() {
    if (this.header === null) throw new RosterFileError('EmptyFile', 'The file is empty.');
    if (this.seen === 0) throw new RosterFileError('EmptyFile', 'The file has a header but no rows.');
  }
}

function rosterHeader(kind: RosterKind, cells: Cell[]): RosterHeader {
  const header = cells.map((cell) => (cell === null || cell === undefined ? '' : withoutNul(String(cell))));
  const mapping = mapHeader(kind, header);
  if (mapping.missing.length > 0) {
    const single =
      header.length === 1
        ? ` Only one column was found ("${header[0]?.slice(0, 80)}"): separate columns with commas, semicolons, tabs or |.`
        : '';
    throw new RosterFileError(
      'MissingColumns',
      `The header lacks required column(s): ${mapping.missing.map((column) => describeMissingColumn(kind, column)).join('; ')}. ` +
        `Headers match ignoring case, spaces, _ and -.${single}`,
    );
  }
  const labels: Record<string, string> = {};
  mapping.columns.forEach((column, index) => {
    if (column)
      labels[column] =
        header[index]
          ?.replace(/^\uFEFF/, '')
          .trim()
          .slice(0, 80) || column;
  });
  return {
    columns: mapping.columns,
    present: mapping.columns.filter((c): c is string => c !== null),
    unknown: mapping.unknown,
    labels,
  };
}
