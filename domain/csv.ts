import { neutralizeCsvCell } from './roster-row';

/**
 * One CSV record (RFC 4180, CRLF): every cell quoted, quotes doubled, and cells a spreadsheet would
 * run as a formula neutralized as docs/spec.md §4.2 asks of every CSV export. Newlines and tabs
 * inside a value stay inside its quoted cell.
 */
export function csvRecord(values: readonly (string | number | null | undefined)[]): string {
  return `${values
    .map(
      (value) =>
        `"${neutralizeCsvCell(value === null || value === undefined ? '' : String(value)).replaceAll('"', '""')}"`,
    )
    .join(',')}\r\n`;
}
