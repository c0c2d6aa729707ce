import { z } from '@hono/zod-openapi';
import type { Sequelize } from 'sequelize';
import { rawQuery } from '../db/sequelize';
import { isUuid } from '../lib/uuid';
import { ProblemError } from './problem';

/** `?limit=&cursor=` for keyset pages; the cursor is opaque to clients. */
export const PageQuery = {
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(1000).optional(),
};

export function encodeCursor(values: unknown[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

/** What one position of a keyset cursor holds; a value of another type makes the cursor invalid. */
export type CursorField = 'text' | 'uuid' | 'timestamp' | 'integer';
type CursorValue<F extends CursorField> = F extends 'integer' ? number : string;
export type CursorValues<F extends readonly CursorField[]> = { -readonly [K in keyof F]: CursorValue<F[K]> };

// Timestamps as cursors carry them: Postgres's text form or ISO 8601 (Date#toISOString).
const CURSOR_TIMESTAMP = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([+-]\d{2}(:\d{2})?|Z)$/;

function holds(field: CursorField, value: unknown): boolean {
  switch (field) {
    case 'text':
      return typeof value === 'string';
    case 'uuid':
      return isUuid(value);
    case 'timestamp':
      return typeof value === 'string' && CURSOR_TIMESTAMP.test(value);
    case 'integer':
      return Number.isSafeInteger(value);
  }
}

/**
 * The values of `?cursor=` when it is one this API issued for a page keyed by `fields`; undefined
 * for the first page. Anything else — not base64url JSON, another length, a value of another type —
 * answers 422, so a forged cursor never reaches a query.
 */
export function decodeCursor<const F extends readonly CursorField[]>(
  cursor: string | undefined,
  fields: F,
): CursorValues<F> | undefined {
  if (cursor === undefined) return undefined;
  try {
    const values: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(values) &&
      values.length === fields.length &&
      fields.every((field, i) => holds(field, values[i]))
    ) {
      return values as CursorValues<F>;
    }
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
 * The name half of a search: rows whose normalized full name contains the normalized `$q`. The
 * trigram index is asked only for up to three rare 3-character pieces of the term, disjoint where it can
 * (`ale_name_search_patterns`, migrations 0850 and 0950: the common pieces' posting lists are what made
 * the scan slow, and a single piece leaves many candidates to recheck), and `strpos` checks
 * the whole term on those candidates, so the rows are exactly those of `LIKE '%term%'`. Needs the
 * `search_terms` CTE that `nameOrderedPageSql` adds when searching, and `$sample` bound to
 * `nameSearchSample(…)`.
 */
export function nameMatchSql(alias: string) {
  const pattern = (n: number) => `${alias}.full_name_norm LIKE (SELECT patterns[${n}] FROM search_terms)`;
  return `(${pattern(1)} AND ${pattern(2)} AND ${pattern(3)}
      AND strpos(${alias}.full_name_norm, (SELECT term FROM search_terms)) > 0)`;
}

const SAMPLE_MAX_AGE_MS = 5 * 60_000;
interface Sample {
  value: string | null;
  loadedAt: number;
  refreshing?: Promise<string | null>;
}
const samples = new WeakMap<Sequelize, Map<string, Sample>>();

/**
 * The names ANALYZE sampled from `table.full_name_norm` (most common values and histogram bounds, as
 * text; null before the first ANALYZE): what `ale_name_search_patterns` ranks the pieces of a term
 * by. Cached per table for five minutes, then refreshed while searches go on with the previous one;
 * a stale sample only makes the pieces less well chosen, never the rows different.
 */
export async function nameSearchSample(
  sequelize: Sequelize,
  table: 'employees' | 'patients',
): Promise<string | null> {
  let byTable = samples.get(sequelize);
  if (!byTable) {
    byTable = new Map();
    samples.set(sequelize, byTable);
  }
  const cache = byTable;
  const entry = cache.get(table);
  if (entry?.refreshing) return entry.loadedAt ? entry.value : entry.refreshing;
  if (entry && Date.now() - entry.loadedAt < SAMPLE_MAX_AGE_MS) return entry.value;
  const keep = (value: string | null) => {
    cache.set(table, { value, loadedAt: Date.now() });
    return value;
  };
  const refreshing = rawQuery<{ sample: string }>(
    sequelize,
    `SELECT coalesce(most_common_vals::text, '') || coalesce(histogram_bounds::text, '') AS sample
     FROM pg_stats WHERE schemaname = current_schema() AND tablename = $1 AND attname = 'full_name_norm'`,
    [table],
  ).then(
    ([row]) => keep(row?.sample ?? null),
    () => keep(entry?.value ?? null),
  );
  cache.set(table, { value: entry?.value ?? null, loadedAt: entry?.loadedAt ?? 0, refreshing });
  return entry ? entry.value : refreshing;
}

/**
 * SQL for one keyset page of `table` ordered by (full_name_norm, id) — its `columns`, all by default —
 * binding `$limit` and, after the first page, `$afterName`/`$afterId`; when searching also `$q` and
 * `$sample` (for `nameMatchSql`). With a
 * search term the planner, misled by LIMIT, would walk the name-ordered index and filter half the
 * organization (≈ 1 s at 1M rows); collecting the hits first keeps it on the trigram and exact-match
 * indexes, and only the hits are ordered.
 */
export function nameOrderedPageSql(
  table: 'employees' | 'patients',
  alias: string,
  conditions: string[],
  options: { searching: boolean; after: boolean; columns?: string },
) {
  const columns = options.columns ?? `${alias}.*`;
  const after = options.after
    ? [`(${alias}.full_name_norm, ${alias}.id) > ($afterName, $afterId::uuid)`]
    : [];
  const order = `ORDER BY ${alias}.full_name_norm, ${alias}.id LIMIT $limit`;
  if (!options.searching) {
    return `SELECT ${columns} FROM ${table} ${alias} WHERE ${[...conditions, ...after].join(' AND ')} ${order}`;
  }
  // Computed once per query (each `(SELECT … FROM search_terms)` is an InitPlan), not once per row.
  return `WITH search_terms AS MATERIALIZED (
  SELECT term, ale_name_search_patterns(term, $sample::text) AS patterns FROM (SELECT ale_normalize_name($q) AS term) t),
hits AS MATERIALIZED (SELECT ${alias}.* FROM ${table} ${alias} WHERE ${conditions.join(' AND ')})
SELECT ${columns} FROM hits ${alias}${after.length ? ` WHERE ${after[0]}` : ''} ${order}`;
}
