import { loadConfigOrExit } from '../lib/config';
import { createMigrator } from './migrator';
import { createSequelize } from './sequelize';

const direction = process.argv[2] === 'down' ? 'down' : 'up';
const config = loadConfigOrExit();
const sequelize = createSequelize(config.DATABASE_URL, { poolMax: 1 });
try {
  const migrator = createMigrator(sequelize);
  const done = direction === 'up' ? await migrator.up() : await migrator.down({ to: 0 });
  console.log(
    done.length === 0
      ? `migrate ${direction}: nothing to do`
      : `migrate ${direction}: ${done.map((m) => m.name).join(', ')}`,
  );
} catch (error) {
  console.error(`migrate ${direction} failed: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  await sequelize.close();
}
