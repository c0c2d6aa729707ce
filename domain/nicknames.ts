/**
 * The nickname table (data/nicknames/names.csv, docs/spec.md §9): lines `name1,has_nickname,name2`
 * after a header. Pure parsing; db/nickname-store.ts writes the pairs. A line that is not three
 * fields, names another relationship or holds an empty or non-letter name is skipped and counted —
 * a bad line in a data file never stops a migration or a screening.
 */

export interface NicknameTable {
  /** [name, nickname] as written (lower case in the shipped file); normalized by Postgres. */
  pairs: [string, string][];
  /** Lines skipped as malformed (the header and blank lines are not counted). */
  skipped: number;
}

const NAME = /^[\p{L}][\p{L}' .-]{0,63}$/u;

export function parseNicknameCsv(text: string): NicknameTable {
  const pairs: [string, string][] = [];
  let skipped = 0;
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line === '') return;
    const fields = line.split(',').map((field) => field.trim());
    if (index === 0 && fields[0]?.toLowerCase() === 'name1') return;
    const [name, relationship, nickname] = fields;
    if (
      fields.length !== 3 ||
      relationship?.toLowerCase() !== 'has_nickname' ||
      !NAME.test(name ?? '') ||
      !NAME.test(nickname ?? '')
    ) {
      skipped++;
      return;
    }
    pairs.push([name as string, nickname as string]);
  });
  return { pairs, skipped };
}
