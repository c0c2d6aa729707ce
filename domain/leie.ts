/**
 * The HHS-OIG LEIE downloadable file (UPDATED.csv) and the OIG page that announces it: pure rules,
 * no I/O. Format facts (see ../shared/data/README.md): the header is unquoted, every field is
 * quoted, lines end with CRLF, dates are YYYYMMDD with 00000000 for none, NPI 0000000000 is none,
 * individuals have LASTNAME/FIRSTNAME, entities only BUSNAME. The per-row rules (dates, NPI, the
 * exclusion key) run in SQL on the COPY-loaded rows: db/migrations/0400-leie-row-rules.ts.
 */

import { looksLikeMarkup } from './exclusion-sources/failures';

export const LEIE_COLUMNS = [
  'LASTNAME',
  'FIRSTNAME',
  'MIDNAME',
  'BUSNAME',
  'GENERAL',
  'SPECIALTY',
  'UPIN',
  'NPI',
  'DOB',
  'ADDRESS',
  'CITY',
  'STATE',
  'ZIP',
  'EXCLTYPE',
  'EXCLDATE',
  'REINDATE',
  'WAIVERDATE',
  'WVRSTATE',
] as const;

export type LeieColumn = (typeof LEIE_COLUMNS)[number];

/** A file larger than this is not the LEIE (many times the real file): the download is cut off. */
export const MAX_LEIE_BYTES = 200 * 1024 * 1024;

/** A new list with fewer rows than this share of the current one is refused (a truncated download). */
export const MIN_ROW_RATIO = 0.9;

/** ApplicationFailure types of a file that can never be imported (no retry helps). */
export const LeieFailureType = {
  notCsv: 'LeieNotCsv',
  empty: 'LeieEmptyFile',
  tooLarge: 'LeieTooLarge',
  headerMismatch: 'LeieHeaderMismatch',
  malformedRow: 'LeieMalformedRow',
  tooFewRows: 'LeieTooFewRows',
} as const;

export class LeieFormatError extends Error {
  constructor(
    readonly type: LeieFailure,
    message: string,
  ) {
    super(message);
    this.name = 'LeieFormatError';
  }
}

export type LeieFailure = (typeof LeieFailureType)[keyof typeof LeieFailureType];

/**
 * Null when the header line is exactly the LEIE's 18 columns (a UTF-8 BOM, quotes around names and
 * a trailing CR are tolerated), otherwise what is wrong, naming the first differing column.
 */
export function leieHeaderProblem(headerLine: string): string | null {
  const names = headerLine
    .replace(/^\uFEFF/, '')
    .replace(/\r$/, '')
    .split(',')
    .map((name) =>
      name
        .trim()
        .replace(/^"(.*)"$/, '$1')
        .trim(),
    );
  if (names.length !== LEIE_COLUMNS.length) {
    return `the header has ${names.length} columns, the LEIE has ${LEIE_COLUMNS.length} (${LEIE_COLUMNS.join(',')})`;
  }
  const index = names.findIndex((name, i) => name.toUpperCase() !== LEIE_COLUMNS[i]);
  if (index >= 0) {
    return `header column ${index + 1} is "${names[index]}", expected "${LEIE_COLUMNS[index]}"`;
  }
  return null;
}

/** What the first bytes of a download say: an HTML error page served with 200 is not the CSV. */
export function leieBodyProblem(firstBytes: string): LeieFormatError | null {
  const start = firstBytes.replace(/^\uFEFF/, '').trimStart();
  if (start.length === 0) return new LeieFormatError(LeieFailureType.empty, 'the LEIE download is empty');
  if (looksLikeMarkup(start)) {
    return new LeieFormatError(
      LeieFailureType.notCsv,
      'the LEIE download is an HTML/XML page, not the CSV (an error page served with status 200?)',
    );
  }
  return null;
}

/**
 * Null when a list of `next` rows may replace one of `previous` rows; otherwise why not. A list that
 * shrank below MIN_ROW_RATIO of the current one is far more likely a truncated download than real
 * reinstatements.
 */
export function rowCountProblem(previous: number, next: number): string | null {
  if (next === 0) return 'the file has no data rows';
  if (previous > 0 && next < previous * MIN_ROW_RATIO) {
    return `the file has ${next} rows, fewer than ${MIN_ROW_RATIO * 100} % of the current ${previous}; the current list is kept`;
  }
  return null;
}

/**
 * Postgres reports a row with too many or too few fields as a COPY format error whose context names
 * the line ("COPY …, line 5: …"); the file's line is one more, because the header is not sent.
 */
export function describeCopyFormatError(message: string, where: string | undefined): string {
  const line = /line (\d+)/.exec(where ?? '')?.[1];
  const at = line ? `line ${Number(line) + 1}` : 'a line';
  if (/extra data after last expected column/i.test(message)) {
    return `${at} has more than ${LEIE_COLUMNS.length} fields`;
  }
  if (/missing data for column/i.test(message)) return `${at} has fewer than ${LEIE_COLUMNS.length} fields`;
  return `${at} is not valid CSV (${message})`;
}

/** `oig/<date>-<sha256>.csv` under the configured key prefix. */
export function leieArchiveKey(prefix: string, date: string, sha256: string): string {
  const base = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
  return `${base}oig/${date}-${sha256}.csv`;
}

// ── The OIG page's "last update" date ────────────────────────────────────────────────────────────

const MONTHS = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];

function isoDate(year: number, month: number, day: number): string | null {
  if (year < 1990 || year > 2200 || month < 1 || month > 12 || day < 1) return null;
  if (day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return null;
  return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

function monthNumber(name: string): number {
  const lower = name.toLowerCase().replace(/\.$/, '');
  return MONTHS.findIndex((month) => lower.length >= 3 && month.startsWith(lower)) + 1;
}

/** The date formats the OIG page has used or plausibly uses; anything else is reported, not guessed. */
function parseAnnouncedDate(text: string): string | null {
  let m = /^(\d{1,2})[/-](\d{1,2})[/-](\d{4})\b/.exec(text);
  if (m) return isoDate(Number(m[3]), Number(m[1]), Number(m[2]));
  m = /^(\d{4})-(\d{2})-(\d{2})\b/.exec(text);
  if (m) return isoDate(Number(m[1]), Number(m[2]), Number(m[3]));
  m = /^([A-Za-z]{3,9}\.?)\s+(\d{1,2}),?\s+(\d{4})\b/.exec(text);
  if (m) return isoDate(Number(m[3]), monthNumber(m[1] as string), Number(m[2]));
  m = /^(\d{1,2})\s+([A-Za-z]{3,9}\.?),?\s+(\d{4})\b/.exec(text);
  if (m) return isoDate(Number(m[3]), monthNumber(m[2] as string), Number(m[1]));
  return null;
}

function pageText(html: string): string {
  return html
    .replace(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&nbsp;|&#160;/gi, ' ')
    .replace(/&ndash;|&mdash;|&#821[12];/gi, ' - ')
    .replace(/&amp;/gi, '&')
    .replace(/\s+/g, ' ');
}

/**
 * Reads the "last update" date the OIG page announces for the downloadable list: the first
 * "Last update(d)" / "Updated (on)" label followed by a date in a known format (MM/DD/YYYY,
 * MM-DD-YYYY, YYYY-MM-DD, "Month D, YYYY", "D Month YYYY"). A page without such a label, or with a
 * date in another format, yields a problem to record as a warning — never a guess.
 */
export function parseOigPageUpdateDate(html: string): { date: string } | { problem: string } {
  const text = pageText(html);
  // "Last update" labels first: "updated" alone also appears in prose ("updated monthly").
  const labels = [
    /\blast\s+updated?(?:\s+on)?\s*(?:[:\u2013\u2014-]\s*|\s)/gi,
    // A bare "updated" counts only when a date-like text follows ("updated monthly" is prose).
    /\bupdated(?:\s+on)?\s*(?:[:\u2013\u2014-]\s*|\s)(?=\d|[A-Za-z]{3,9}\.?\s+\d)/gi,
  ];
  for (const label of labels) {
    let firstCandidate: string | undefined;
    for (const match of text.matchAll(label)) {
      const start = (match.index ?? 0) + match[0].length;
      const after = text.slice(start, start + 40).trim();
      const date = parseAnnouncedDate(after);
      if (date) return { date };
      firstCandidate ??= after.split(' ').slice(0, 3).join(' ');
    }
    if (firstCandidate !== undefined) {
      return {
        problem: `the OIG page's "last update" is followed by "${firstCandidate}", which is not a date in a known format`,
      };
    }
  }
  return { problem: 'the OIG page has no "last update" date' };
}

// ── Records of the file ──────────────────────────────────────────────────────────────────────────

/** Far longer than any real LEIE record: a record this long is a runaway quote, not a row. */
export const MAX_LEIE_RECORD_BYTES = 64 * 1024;

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;

/**
 * Splits a streamed LEIE file into its CSV records the way Postgres' COPY (FORMAT csv) does — a
 * line end inside quotes belongs to the field, a doubled quote is a quote — and checks each data
 * record has exactly the LEIE's 18 fields. `onRecord` gets the record's bytes without the line end
 * and its line number in the file (the header is line 1 and is not passed on; it is checked
 * elsewhere). Throws a `LeieFormatError` naming the line, like COPY's own errors would.
 */
export class LeieRecordSplitter {
  private carry: Buffer = Buffer.alloc(0);
  private inQuotes = false;
  private commas = 0;
  private line = 1;
  records = 0;

  constructor(private readonly onRecord: (record: Buffer, line: number) => void) {}

  push(chunk: Buffer): void {
    // Only a record that began in an earlier chunk is copied (carry + its head); the rest are views.
    let carry: Buffer | null = this.carry.length > 0 ? this.carry : null;
    const onRecord = this.onRecord;
    const fields = LEIE_COLUMNS.length - 1;
    let start = 0;
    let inQuotes = this.inQuotes;
    let commas = this.commas;
    let line = this.line;
    const length = chunk.length;
    let i = 0;
    while (i < length) {
      if (inQuotes) {
        // Inside quotes only a quote matters (most of the file's bytes are field contents).
        while (i < length && chunk[i] !== QUOTE) i++;
        if (i === length) break;
        inQuotes = false;
        i++;
        continue;
      }
      const c = chunk[i] as number;
      if (c === QUOTE) inQuotes = true;
      else if (c === COMMA) commas++;
      else if (c === LF) {
        if (line > 1) {
          if (commas !== fields) throw fieldCountError(line, commas);
          const record = carry ? Buffer.concat([carry, chunk.subarray(0, i)]) : chunk.subarray(start, i);
          onRecord(record.at(-1) === CR ? record.subarray(0, -1) : record, line);
          this.records++;
        }
        carry = null;
        line++;
        start = i + 1;
        commas = 0;
      }
      i++;
    }
    this.line = line;
    this.inQuotes = inQuotes;
    this.commas = commas;
    this.carry = carry ? Buffer.concat([carry, chunk]) : chunk.subarray(start);
    if (this.carry.length > MAX_LEIE_RECORD_BYTES) {
      throw new LeieFormatError(
        LeieFailureType.malformedRow,
        `line ${this.line} is longer than ${MAX_LEIE_RECORD_BYTES / 1024} KB (an unbalanced quote?)`,
      );
    }
  }

  /** The last record may lack a line end; a quote still open at the end is an error, as in COPY. */
  end(): void {
    const last = this.carry.at(-1) === CR ? this.carry.subarray(0, -1) : this.carry;
    if (this.inQuotes) {
      throw new LeieFormatError(
        LeieFailureType.malformedRow,
        `line ${this.line} is not valid CSV (unterminated CSV quoted field)`,
      );
    }
    if (last.length > 0) {
      const line = this.line++;
      if (line > 1) {
        if (this.commas !== LEIE_COLUMNS.length - 1) throw fieldCountError(line, this.commas);
        this.records++;
        this.onRecord(last, line);
      }
    }
    this.carry = Buffer.alloc(0);
  }
}

function fieldCountError(line: number, commas: number): LeieFormatError {
  const expected = LEIE_COLUMNS.length;
  return new LeieFormatError(
    LeieFailureType.malformedRow,
    `line ${line} has ${commas < expected - 1 ? 'fewer' : 'more'} than ${expected} fields`,
  );
}
