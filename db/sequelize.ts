import pg from 'pg';
import { Sequelize } from 'sequelize';

// Postgres `date` columns stay 'YYYY-MM-DD' strings instead of shifting through local-time Dates.
pg.types.setTypeParser(pg.types.builtins.DATE, (value) => value);

/**
 * `statementTimeoutMs` bounds every statement of the pool (the API's: docs/spec.md §12, answered
 * 503); the worker's pool has none, its statements are long by nature and heartbeat instead.
 */
export function createSequelize(
  databaseUrl: string,
  options: { poolMax?: number; statementTimeoutMs?: number } = {},
): Sequelize {
  return new Sequelize(databaseUrl, {
    dialect: 'postgres',
    dialectModule: pg,
    dialectOptions: options.statementTimeoutMs ? { statement_timeout: options.statementTimeoutMs } : {},
    logging: false,
    pool: { max: options.poolMax ?? 10, idle: 10_000, acquire: 30_000 },
    define: { underscored: true, timestamps: true },
  });
}
