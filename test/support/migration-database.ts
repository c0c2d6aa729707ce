import type { Sequelize } from 'sequelize';
import { createMigrator } from '../../db/migrator';
import { createSequelize } from '../../db/sequelize';
import { stack } from './stack';

/**
 * For a migration test: a database of its own, created before the suite and migrated up to `upTo`,
 * dropped after it. Returns the accessor of its connection (set once the suite's `before` ran).
 */
export function useMigrationDatabase(name: string, upTo: string): () => Sequelize {
  let db: Sequelize | undefined;
  before(async function () {
    this.timeout(60_000);
    await stack().sequelize.query(`DROP DATABASE IF EXISTS ${name}`);
    await stack().sequelize.query(`CREATE DATABASE ${name}`);
    const url = new URL(stack().config.DATABASE_URL);
    url.pathname = `/${name}`;
    db = createSequelize(url.toString(), { poolMax: 1 });
    await createMigrator(db).up({ to: upTo });
  });
  after(async () => {
    await db?.close();
    await stack().sequelize.query(`DROP DATABASE IF EXISTS ${name}`);
  });
  return () => {
    if (!db) throw new Error('the migration database is set up in the suite’s before hook');
    return db;
  };
}
