/**
 * Writes a synthetic employee roster CSV (valid NPIs, varied names), streamed so a million rows
 * take no memory:  npx tsx scripts/generate-roster.ts --rows 100000 --out /tmp/roster.csv
 */

import { once } from 'node:events';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { npiCheckDigit } from '../domain/npi';

const FIRST = ['Ann', 'Bob', 'Carmen', 'Dmitri', 'Eve', 'José', 'Li', 'María', 'Noah', 'Olu', 'Priya', 'Zoë'];
const LAST = [
  'Smith',
  "O'Brien",
  'Nguyen',
  'García',
  'Smith-Jones',
  'Kowalski',
  'Okafor',
  'Lee',
  'Brown',
  'Patel',
];

/** Row i of the synthetic roster (deterministic). */
export function rosterLine(i: number): string {
  const first9 = `1${String(i % 100_000_000).padStart(8, '0')}`;
  const npi = `${first9}${npiCheckDigit(first9)}`;
  const first = `${FIRST[i % FIRST.length]}${Math.floor(i / 997) % 50}`;
  const last = `${LAST[(i * 7) % LAST.length]}${i % 1009}`;
  const dob = `19${50 + (i % 50)}-${String((i % 12) + 1).padStart(2, '0')}-${String((i % 28) + 1).padStart(2, '0')}`;
  return `E${i},${first},${last},${dob},${npi},e${i}@example.test,Nurse\n`;
}

export const ROSTER_HEADER = 'Employee ID,First Name,Last Name,DOB,NPI,Email,Title\n';

export async function writeRosterCsv(file: string, rows: number): Promise<number> {
  const out = fs.createWriteStream(file);
  out.write(ROSTER_HEADER);
  let chunk = '';
  for (let i = 1; i <= rows; i++) {
    chunk += rosterLine(i);
    if (chunk.length > 64 * 1024) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
  return fs.statSync(file).size;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: { rows: { type: 'string', default: '100000' }, out: { type: 'string', default: 'roster.csv' } },
  });
  const bytes = await writeRosterCsv(values.out, Number(values.rows));
  console.log(`wrote ${values.rows} rows (${bytes} bytes) to ${values.out}`);
}
