import { type Db, queryOne } from './sql';

/**
 * A list search's `q` as conditions on a normalized name column: each word of `q` after
 * ale_normalize_name must appear in `column` (trigram-indexed LIKE, so "SMITH JOHN" finds JOHN
 * SMITH; normalized text has no % or _). Null when `q` normalizes to no word: nothing can match.
 */
export async function nameWordConditions(
  db: Db,
  q: string | undefined,
  column: string,
): Promise<{ conditions: string[]; bind: Record<string, string> } | null> {
  if (!q) return { conditions: [], bind: {} };
  const normalized = await queryOne<{ value: string | null }>(db, 'SELECT ale_normalize_name($q) AS value', {
    q,
  });
  const words = (normalized?.value ?? '').split(' ').filter(Boolean);
  if (words.length === 0) return null;
  return {
    conditions: words.map((_, index) => `${column} LIKE $w${index}`),
    bind: Object.fromEntries(words.map((word, index) => [`w${index}`, `%${word}%`])),
  };
}
