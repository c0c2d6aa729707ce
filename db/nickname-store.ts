import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type NicknameTable, parseNicknameCsv } from '../domain/nicknames';
import { type Db, execute, queryOne } from './sql';

/**
 * The nickname table the `nickname_dob` tier reads (docs/spec.md §9): every statement on
 * name_nicknames. Pairs are stored both ways and normalized by ale_normalize_name with hyphens as
 * spaces, as first names are in `match_names`, so the screening joins on plain equality.
 */

/** The shipped table (data/nicknames/names.csv, Apache-2.0, its LICENSE.txt beside it). */
export const NICKNAMES_CSV = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  'data',
  'nicknames',
  'names.csv',
);

export function readShippedNicknames(): NicknameTable {
  return parseNicknameCsv(fs.readFileSync(NICKNAMES_CSV, 'utf8'));
}

/**
 * Adds the table's pairs (both directions); returns how many pairs are stored now and how many lines
 * the file had that could not be read. Idempotent: a pair already stored is left alone.
 */
export async function loadNicknames(
  db: Db,
  table: NicknameTable,
): Promise<{ pairs: number; skipped: number }> {
  await execute(
    db,
    `INSERT INTO name_nicknames (name, nickname)
     SELECT DISTINCT n.a, n.b FROM (
       SELECT replace(ale_normalize_name(p.name), '-', ' ') AS a,
         replace(ale_normalize_name(p.nickname), '-', ' ') AS b
       FROM unnest($names::text[], $nicknames::text[]) AS p(name, nickname)
       UNION ALL
       SELECT replace(ale_normalize_name(p.nickname), '-', ' '), replace(ale_normalize_name(p.name), '-', ' ')
       FROM unnest($names::text[], $nicknames::text[]) AS p(name, nickname)
     ) n
     WHERE n.a IS NOT NULL AND n.b IS NOT NULL AND n.a <> n.b
     ON CONFLICT (name, nickname) DO NOTHING`,
    { names: table.pairs.map((pair) => pair[0]), nicknames: table.pairs.map((pair) => pair[1]) },
  );
  const row = await queryOne<{ n: number }>(db, 'SELECT count(*)::int AS n FROM name_nicknames');
  return { pairs: row?.n ?? 0, skipped: table.skipped };
}
