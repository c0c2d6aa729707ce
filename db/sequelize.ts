import pg from 'pg';
import { Sequelize } from 'sequelize';

// Postgres `date` columns stay 'YYYY-MM-DD' strings instead of shifting through local-time Dates.
pg.types.setTypeParser(pg.types.builtins.DATE, (value) => value);

export function createSequelize(databaseUrl: string, options: { poolMax?: number } = {}): Sequelize {
  return new Sequelize(databaseUrl, {
    dialect: 'postgres',
    dialectModule: pg,
    logging: false,
    pool: { max: options.poolMax ?? 10, idle: 10_000, acquire: 30_000 },
    define: { underscored: true, timestamps: true },
  });
}
