import { spawnSync } from 'node:child_process';
import type { Sequelize } from 'sequelize';

const PSQL = process.env.PSQL ?? '/usr/bin/psql';

/** The employees-shaped table's columns that the generated roster file holds, in the file's order. */
export const SHAPED_COPY_COLUMNS = ' (external_id, first_name, last_name, date_of_birth, npi, email, title)';

/**
 * The `\copy` baseline's table of the import's destination's shape — employees' columns, defaults,
 * checks and all its indexes (unique keys, trigram and name-key GINs, b-trees). The NOT NULL columns
 * the file lacks get defaults: one organization, kind 'employee', and '' for the three normalized
 * names (so the name indexes hold empty values: this baseline does less work than an import, which
 * normalizes every name and indexes the results; it has no foreign keys or triggers either).
 */
export async function createShapedCopyTable(db: Sequelize) {
  await db.query(`DROP TABLE IF EXISTS bench_copy_shaped;
    CREATE TABLE bench_copy_shaped (LIKE employees INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES);
    ALTER TABLE bench_copy_shaped ALTER organization_id SET DEFAULT '00000000-0000-4000-8000-000000000001',
      ALTER kind SET DEFAULT 'employee', ALTER first_name_norm SET DEFAULT '',
      ALTER last_name_norm SET DEFAULT '', ALTER full_name_norm SET DEFAULT ''`);
}

/** `psql \copy` of the roster CSV `file` into `table` (`columns` as in `\copy`, or all of them). */
export function psqlCopyRoster(url: string, file: string, table: string, columns = '') {
  const result = spawnSync(
    PSQL,
    [
      url,
      '-v',
      'ON_ERROR_STOP=1',
      '-c',
      `\\copy ${table}${columns} FROM '${file}' WITH (FORMAT csv, HEADER true)`,
    ],
    { encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`psql failed: ${result.stderr}`);
}
