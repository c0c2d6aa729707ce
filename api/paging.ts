import { z } from '@hono/zod-openapi';
import { isUuid } from '../lib/uuid';
import { ProblemError } from './problem';

/** `?limit=&cursor=` for keyset pages; the cursor is opaque to clients. */
export const PageQuery = {
  limit: z.coerce.number().int().min(1).max(200).default(50),
  // Not length-checked here: any cursor this API did not issue is 400 (decodeCursor), not 422.
  cursor: z.string().optional(),
};

const MAX_CURSOR_LENGTH = 1000;

export function encodeCursor(values: unknown[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

/** What one position of a keyset cursor holds; a value of another type makes the cursor invalid. */
export type CursorField = 'text' | 'uuid' | 'timestamp' | 'integer';
type CursorValue<F extends CursorField> = F extends 'integer' ? number : string;
export type CursorValues<F extends readonly CursorField[]> = { -readonly [K in keyof F]: CursorValue<F[K]> };

// Timestamps as cursors carry them: Postgres's text form or ISO 8601 (Date#toISOString).
const CURSOR_TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})[ T]([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,6})?([+-]\d{2}(:\d{2})?|Z)$/;
const INT4_MAX = 2 ** 31 - 1;

/** A date Postgres accepts: the shape, and a day that exists in that month of a year from 1 on. */
function isCursorTimestamp(value: unknown): boolean {
  const match = typeof value === 'string' ? CURSOR_TIMESTAMP.exec(value) : null;
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return year >= 1 && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

function holds(field: CursorField, value: unknown): boolean {
  switch (field) {
    case 'text':
      // Postgres text cannot hold U+0000.
      return typeof value === 'string' && !value.includes('\u0000');
    case 'uuid':
      return isUuid(value);
    case 'timestamp':
      return isCursorTimestamp(value);
    case 'integer':
      // The keyed integer columns are Postgres `integer`.
      return Number.isInteger(value) && Math.abs(value as number) <= INT4_MAX;
  }
}

/**
 * The values of `?cursor=` when it is one this API issued for a page keyed by `fields`; undefined
 * for the first page. Anything else — not base64url JSON, another length, a value of another type,
 * over 1000 characters — answers 400 (docs/spec.md §12), so a forged cursor never reaches a query.
 */
export function decodeCursor<const F extends readonly CursorField[]>(
  cursor: string | undefined,
  fields: F,
): CursorValues<F> | undefined {
  if (cursor === undefined) return undefined;
  try {
    if (cursor.length > MAX_CURSOR_LENGTH) throw new Error('too long');
    const values: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(values) &&
      values.length === fields.length &&
      fields.every((field, i) => holds(field, values[i]))
    ) {
      return values as CursorValues<F>;
    }
  } catch {}
  throw malformedCursor();
}

/** docs/spec.md §12: a cursor this API did not issue is 400, whatever is wrong with it. */
export function malformedCursor(): ProblemError {
  return new ProblemError(400, 'The cursor is not valid; use nextCursor from the previous page.', {
    errors: [{ path: 'query.cursor', message: 'not a cursor issued by this API' }],
  });
}

/** Builds `{items, nextCursor}` from a page fetched with limit + 1 rows. */
export function page<T>(rows: T[], limit: number, cursorOf: (row: T) => unknown[]) {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(cursorOf(last)) : null };
}

export function listSchema<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}
