import { z } from '@hono/zod-openapi';
import { ProblemError } from './problem';

/** `?limit=&cursor=` for keyset pages; the cursor is opaque to clients. */
export const PageQuery = {
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(1000).optional(),
};

export function encodeCursor(values: unknown[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

export function decodeCursor(cursor: string | undefined, arity: number): unknown[] | undefined {
  if (cursor === undefined) return undefined;
  try {
    const values = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(values) && values.length === arity) return values;
  } catch {}
  throw new ProblemError(422, 'The cursor is not valid; use nextCursor from the previous page.', {
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

/**
 * SQL for one keyset page of `table` ordered by (full_name_norm, id), binding `$limit` and, after
 * the first page, `$afterName`/`$afterId`. With a search term the planner, misled by LIMIT, would
 * walk the name-ordered index and filter half the organization (≈ 1 s at 1M rows); collecting the
 * hits first keeps it on the trigram and exact-match indexes, and only the hits are ordered.
 */
export function nameOrderedPageSql(
  table: 'employees' | 'patients',
  alias: string,
  conditions: string[],
  options: { searching: boolean; after: boolean },
) {
  const after = options.after
    ? [`(${alias}.full_name_norm, ${alias}.id) > ($afterName, $afterId::uuid)`]
    : [];
  const order = `ORDER BY ${alias}.full_name_norm, ${alias}.id LIMIT $limit`;
  if (!options.searching) {
    return `SELECT ${alias}.* FROM ${table} ${alias} WHERE ${[...conditions, ...after].join(' AND ')} ${order}`;
  }
  return `WITH hits AS MATERIALIZED (SELECT ${alias}.* FROM ${table} ${alias} WHERE ${conditions.join(' AND ')})
SELECT ${alias}.* FROM hits ${alias}${after.length ? ` WHERE ${after[0]}` : ''} ${order}`;
}
