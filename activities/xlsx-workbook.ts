import { randomUUID } from 'node:crypto';
import { type FileHandle, open, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import type ExcelJS from 'exceljs';
import type { Entry } from 'unzipper';
import { RosterFileError } from '../domain/roster-file';
import type { Cell } from '../domain/roster-row';
import { SharedStrings } from '../domain/xlsx-shared-strings';

/**
 * What a roster workbook may inflate to, counted on the bytes actually inflated: the sizes an
 * archive declares are its sender's word, and a bomb lies about them.
 */
export const XLSX_LIMITS = {
  /** Every part inflated, the ones skipped included (the worksheet is at most this much XML). */
  inflatedBytes: 1024 ** 3,
  /** Shared strings are held for the whole read: these two bound that memory (a text's XML: markupGapBytes). */
  sharedStrings: 1_000_000,
  sharedStringsBytes: 32 * 1024 ** 2,
  /** workbook.xml, its relationships, styles.xml: each is parsed into memory whole. */
  partBytes: 8 * 1024 ** 2,
  /** XML between two '<': a cell holds at most 32,767 characters, so no value or tag comes near. */
  markupGapBytes: 1024 ** 2,
};

const tooLarge = (message: string) => new RosterFileError('XlsxTooLarge', message);
const mib = (bytes: number) => `${bytes / 1024 ** 2} MiB`;

/** The bytes since the last '<' after `chunk`, or a refusal when they pass the limit. */
function markupGap(gap: number, chunk: Buffer): number {
  const first = chunk.indexOf(0x3c);
  const next = first < 0 ? gap + chunk.length : chunk.length - 1 - chunk.lastIndexOf(0x3c);
  if ((first < 0 ? next : gap + first) > XLSX_LIMITS.markupGapBytes) {
    throw tooLarge(
      `The XLSX holds a single value or tag of more than ${mib(XLSX_LIMITS.markupGapBytes)} (a zip bomb?); the import was stopped.`,
    );
  }
  return next;
}

/** Excel's last column, XFD. */
const LAST_COLUMN = 16_384;
/** A whole tag, and a whole `<col …>` tag: attribute values may hold '>'. */
const WHOLE_TAG = /^<(?:[^>"']|"[^"]*"|'[^']*')*>/;
const COLUMN_TAG = /<col(?=[\s/>])(?:[^>"']|"[^"]*"|'[^']*')*>/g;
const MAX_ATTRIBUTE = /\smax\s*=\s*(?:"([^"]*)"|'([^']*)')/;

/**
 * The worksheet XML, refused when a `<col>` spans past column XFD: exceljs makes one object per
 * column from 1 to `max`, so a few bytes claiming two billion columns would exhaust the worker.
 * Only plain digits are accepted, since the XML parser would decode `&#50;…` into a number too.
 */
export async function* boundedColumns(xml: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let tail = '';
  for await (const chunk of xml) {
    // latin1 keeps one character per byte, so a multi-byte character split by a chunk does no harm.
    const text = tail + chunk.toString('latin1');
    for (const [tag] of text.matchAll(COLUMN_TAG)) {
      const attribute = MAX_ATTRIBUTE.exec(tag);
      const max = attribute?.[1] ?? attribute?.[2];
      if (max !== undefined && !(/^\d{1,5}$/.test(max) && Number(max) <= LAST_COLUMN)) {
        throw tooLarge(
          `The XLSX worksheet defines columns up to "${max.slice(0, 20)}", past Excel's last column (${LAST_COLUMN}); the import was stopped.`,
        );
      }
    }
    // A tag cut by the chunk's end is read again whole with the next chunk (markupGap bounds it).
    const open = text.lastIndexOf('<');
    tail = open >= 0 && !WHOLE_TAG.test(text.slice(open)) ? text.slice(open) : '';
    yield chunk;
  }
}

/**
 * `items` until `failed` rejects, then that error at once: a stream that reads a failed download
 * (or a broken archive) never settles its next step.
 */
export async function* unlessFailed<T>(items: AsyncIterable<T>, failed: Promise<never>): AsyncGenerator<T> {
  const iterator = items[Symbol.asyncIterator]();
  let settled = true;
  try {
    for (;;) {
      settled = false;
      const next = await Promise.race([iterator.next(), failed]);
      settled = true;
      if (next.done) return;
      yield next.value;
    }
  } finally {
    if (settled) await iterator.return?.();
    else void iterator.return?.()?.catch(() => undefined);
  }
}

/** An exceljs cell value as a roster cell: rich text joined, formulas by their cached result. */
export function excelCell(value: ExcelJS.CellValue): Cell {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'object' || value instanceof Date) return value as Cell;
  if ('richText' in value) return value.richText.map((part) => part.text).join('');
  if ('formula' in value || 'sharedFormula' in value) {
    const result = (value as { result?: ExcelJS.CellValue }).result;
    if (result === undefined) return `=${(value as { formula?: string }).formula ?? ''}`;
    return typeof result === 'object' && result !== null && !(result instanceof Date)
      ? excelCell(result)
      : (result as Cell);
  }
  if ('text' in value) return String((value as { text: unknown }).text);
  if ('error' in value) return String((value as { error: unknown }).error);
  return null;
}

/**
 * The steps of exceljs's streaming WorkbookReader (4.4.0, pinned) that parse one part each. We feed
 * them ourselves instead of letting its `parse()` unzip: it inflates without limits and spools
 * worksheets to temporary files it never removes.
 */
interface WorkbookParts {
  sharedStrings?: Cell[];
  _parseRels(part: Readable): Promise<void>;
  _parseWorkbook(part: Readable): Promise<void>;
  _parseStyles(part: Readable): Promise<void>;
  _parseWorksheet(
    xml: AsyncIterable<Buffer>,
    sheetNo: string,
  ): Generator<{ value: AsyncIterable<ExcelJS.Row> }>;
}

async function drain(chunks: AsyncIterable<Buffer>) {
  for await (const chunk of chunks) void chunk;
}

const WORKSHEET = /^xl\/worksheets\/sheet(\d+)\.xml$/;

/**
 * A temporary file unlinked as soon as it is open: only the handle reaches it, and the kernel frees
 * it when the handle closes — on every way out, a killed worker included.
 */
async function spool(chunks: AsyncIterable<Buffer>): Promise<FileHandle> {
  const file = path.join(os.tmpdir(), `ale-xlsx-${randomUUID()}`);
  const handle = await open(file, 'wx+', 0o600);
  try {
    await unlink(file);
    for await (const chunk of chunks) await handle.write(chunk);
    return handle;
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/**
 * The spooled bytes read back by plain reads, not a ReadStream: a stream reads ahead and its last
 * read can still hold the handle after the read has stopped, so the file would outlive the import.
 */
async function* readBack(handle: FileHandle): AsyncGenerator<Buffer> {
  for (let position = 0; ; ) {
    const { bytesRead, buffer } = await handle.read(Buffer.alloc(64 * 1024), 0, 64 * 1024, position);
    if (bytesRead === 0) return;
    position += bytesRead;
    yield buffer.subarray(0, bytesRead);
  }
}

/**
 * The rows of the first worksheet, unzipped and inflated here with every part capped. The worksheet
 * is read as it arrives when the parts it needs came first; otherwise (Excel writes it before the
 * shared strings) it is spooled to a temporary file and read at the end of the archive.
 * A workbook that cannot be read is `NotXlsx`; a download that broke is its own (retryable) error.
 */
export async function* firstWorksheetRows(body: Readable): AsyncGenerator<ExcelJS.Row> {
  let downloadError: Error | undefined;
  let fail: (error: Error) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => {
    fail = reject;
  });
  failed.catch(() => undefined);
  body.on('error', (error) => {
    downloadError = error;
    fail(error);
  });
  // exceljs is large: it loads with the first XLSX import, not with every worker.
  const [{ default: excel }, unzipper] = await Promise.all([import('exceljs'), import('unzipper')]);
  const zip = unzipper.Parse({ forceStream: true });
  zip.on('error', fail);
  body.pipe(zip);
  const reader = new excel.stream.xlsx.WorkbookReader(body, {
    worksheets: 'emit',
    // Read by SharedStrings: held for the whole read, so as plain strings, their number capped.
    sharedStrings: 'ignore',
    // Styles tell date cells from numbers.
    styles: 'cache',
    hyperlinks: 'ignore',
    entries: 'ignore',
  }) as unknown as WorkbookParts;

  let inflated = 0;
  async function* inflate(entry: Entry, limit: number, xml: boolean): AsyncGenerator<Buffer> {
    let bytes = 0;
    let gap = 0;
    for await (const chunk of unlessFailed<Buffer>(entry, failed)) {
      bytes += chunk.length;
      inflated += chunk.length;
      if (inflated > XLSX_LIMITS.inflatedBytes) {
        throw tooLarge(
          `The XLSX expands to more than ${mib(XLSX_LIMITS.inflatedBytes)} (a zip bomb?); the import was stopped.`,
        );
      }
      if (bytes > limit) {
        throw tooLarge(
          `${entry.path} in the XLSX expands to more than ${mib(limit)} (a zip bomb?); the import was stopped.`,
        );
      }
      if (xml) gap = markupGap(gap, chunk);
      yield chunk;
    }
  }
  const part = (entry: Entry, limit = XLSX_LIMITS.partBytes) => Readable.from(inflate(entry, limit, true));

  async function readSharedStrings(entry: Entry) {
    const strings = new SharedStrings({
      count: XLSX_LIMITS.sharedStrings,
      itemLength: XLSX_LIMITS.markupGapBytes,
    });
    const decoder = new TextDecoder();
    for await (const chunk of inflate(entry, XLSX_LIMITS.sharedStringsBytes, true)) {
      strings.write(decoder.decode(chunk, { stream: true }));
    }
    reader.sharedStrings = strings.texts;
  }

  function worksheet(xml: AsyncIterable<Buffer>, sheetNo: string): AsyncIterable<ExcelJS.Row> {
    for (const { value } of reader._parseWorksheet(boundedColumns(xml), sheetNo)) return value;
    throw new RosterFileError('NotXlsx', 'The XLSX workbook has no worksheet.');
  }

  let spooled: { handle: FileHandle; sheetNo: string } | undefined;
  const seen = new Set<string>();
  try {
    for await (const entry of unlessFailed(zip as AsyncIterable<Entry>, failed)) {
      const sheet = WORKSHEET.exec(entry.path);
      seen.add(entry.path);
      if (sheet && !spooled) {
        const sheetNo = sheet[1] as string;
        const xml = inflate(entry, Number.POSITIVE_INFINITY, true);
        if (['xl/workbook.xml', 'xl/styles.xml', 'xl/sharedStrings.xml'].every((p) => seen.has(p))) {
          yield* worksheet(xml, sheetNo);
          return;
        }
        spooled = { handle: await spool(xml), sheetNo };
      } else if (entry.path === 'xl/_rels/workbook.xml.rels') await reader._parseRels(part(entry));
      else if (entry.path === 'xl/workbook.xml') await reader._parseWorkbook(part(entry));
      else if (entry.path === 'xl/styles.xml') await reader._parseStyles(part(entry));
      else if (entry.path === 'xl/sharedStrings.xml') await readSharedStrings(entry);
      // Parts a roster does not need still count: inflating them costs the same.
      else await drain(inflate(entry, Number.POSITIVE_INFINITY, false));
    }
    if (!spooled) throw new RosterFileError('NotXlsx', 'The XLSX workbook has no worksheet.');
    yield* worksheet(readBack(spooled.handle), spooled.sheetNo);
  } catch (error) {
    if (error instanceof RosterFileError) throw error;
    if (downloadError) throw downloadError;
    throw new RosterFileError('NotXlsx', `The XLSX workbook could not be read: ${(error as Error).message}`);
  } finally {
    await spooled?.handle.close();
    zip.destroy();
    body.destroy();
  }
}
