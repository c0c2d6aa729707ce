import { hash } from 'node:crypto';

/**
 * Field rules the list adapters share: header names matched loosely, placeholders read as none,
 * US dates checked strictly, and the exclusion key (docs/exclusion-sources.md).
 */

/** A header name as compared: case, spaces and punctuation ignored ("A/K/A (also known as)" → "akaalsoknownas"). */
export function headerName(name: string): string {
  return name
    .replace(/^\uFEFF/, '')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
}

/**
 * The header check every adapter makes: each required column must be present (matched by
 * `headerName`). Returns what is missing, or how to read a data row into the named fields; a column
 * the file does not have reads as ''.
 */
export function namedColumns(
  required: readonly string[],
  header: string[],
): { problem: string } | { columns: (row: string[]) => Record<string, string> } {
  const positions = new Map<string, number>();
  header.forEach((name, index) => {
    const key = headerName(name);
    if (!positions.has(key)) positions.set(key, index);
  });
  const missing = required.filter((column) => !positions.has(headerName(column)));
  if (missing.length > 0) {
    return {
      problem: `the header lacks the required column${missing.length > 1 ? 's' : ''} ${missing.map((c) => `"${c}"`).join(', ')}`,
    };
  }
  const indexes = required.map((column) => [column, positions.get(headerName(column)) as number] as const);
  return {
    columns: (row) => {
      const named: Record<string, string> = {};
      for (const [column, index] of indexes) named[column] = row[index] ?? '';
      return named;
    },
  };
}

/** The value trimmed, or null for empty and the list's placeholders for "none" (`-`, `N/A`, …). */
export function valueOrNone(value: string | undefined, placeholders: readonly string[] = []): string | null {
  const trimmed = (value ?? '').trim();
  if (trimmed === '') return null;
  const upper = trimmed.toUpperCase();
  return placeholders.includes(upper) ? null : trimmed;
}

function isoDate(year: number, month: number, day: number): string | null {
  if (year < 1800 || year > 2999 || month < 1 || month > 12 || day < 1) return null;
  if (day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return null;
  return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/**
 * `MM/DD/YYYY` (one-digit month and day accepted), optionally followed by a time `HH:MM[:SS]` that
 * must be a real time: an ISO date or null. Anything else — `2022-03-14`, `13/01/2022`,
 * `02/30/2022` — is null, and the adapter rejects the row.
 */
export function usDate(value: string): string | null {
  const m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$/.exec(value.trim());
  if (!m) return null;
  if (m[4] !== undefined && (Number(m[4]) > 23 || Number(m[5]) > 59 || Number(m[6] ?? 0) > 59)) return null;
  return isoDate(Number(m[3]), Number(m[1]), Number(m[2]));
}

/** `YYYYMMDD` → ISO date; null when not a real date. */
export function compactDate(value: string): string | null {
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(value.trim());
  return m ? isoDate(Number(m[1]), Number(m[2]), Number(m[3])) : null;
}

/** A ten-digit NPI in the text, or null. */
export function npiIn(value: string | null): string | null {
  const m = /^\s*(\d{10})\s*$/.exec(value ?? '');
  return m ? (m[1] as string) : null;
}

/**
 * The exclusion key: sha256 (hex) of the identifying fields, upper-cased, joined by the unit
 * separator so a value cannot slide into its neighbour — the same construction as the LEIE's
 * `ale_leie_exclusion_key` (db/migrations/0400-leie-row-rules.ts). Callers pass only identifying
 * fields, so a corrected address or comment keeps the key.
 */
export function exclusionKey(fields: readonly (string | null)[]): string {
  return exclusionKeyOf(fields.map((field) => (field ?? '').toUpperCase()));
}

/** The hash of parts already normalized as the list's key wants them (the LEIE upper-cases names only). */
export function exclusionKeyOf(parts: readonly string[]): string {
  return hash('sha256', parts.join('\x1f'), 'hex');
}
