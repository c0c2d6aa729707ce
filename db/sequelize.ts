import { createHash } from 'node:crypto';
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

/**
 * One query through `pg` on a connection of Sequelize's pool, for the hot read paths (search): it
 * skips Sequelize's query building and result handling. Parameters are positional (`$1`, an array)
 * or named (`$org`, an object, as Sequelize's `bind`; no `$word` inside string literals); rows as pg
 * returns them. With `prepare`
 * the statement is parsed once per connection and reused, and Postgres may switch it to a generic
 * plan: only for SQL whose plan does not hinge on the values. With `timestampsAsText` timestamptz
 * columns come as Postgres's text, for `isoTimestamp`.
 */
export async function rawQuery<Row extends pg.QueryResultRow>(
  sequelize: Sequelize,
  text: string,
  bind: unknown[] | Record<string, unknown>,
  options: { prepare?: boolean; timestampsAsText?: boolean } = {},
): Promise<Row[]> {
  const query = Array.isArray(bind) ? { text, values: bind } : positional(text, bind);
  const name = options.prepare ? statementName(query.text) : undefined;
  const types = options.timestampsAsText ? TIMESTAMPS_AS_TEXT : undefined;
  const client = (await sequelize.connectionManager.getConnection({ type: 'write' })) as pg.Client;
  try {
    return (await client.query<Row>({ ...query, name, types })).rows;
  } finally {
    sequelize.connectionManager.releaseConnection(client);
  }
}

const parseTimestamptz = pg.types.getTypeParser(pg.types.builtins.TIMESTAMPTZ);
const TIMESTAMPS_AS_TEXT = {
  getTypeParser: ((oid: number, format?: 'text') =>
    oid === pg.types.builtins.TIMESTAMPTZ
      ? (value: string) => value
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

// Postgres's ISO output of a timestamptz in a UTC session (Sequelize sets its connections to +00:00).
const UTC_TIMESTAMP_TEXT = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?\+00$/;

/**
 * A timestamptz as ISO 8601 with milliseconds, exactly what `Date#toISOString` gives: from a Date, or
 * from the text `rawQuery(…, { timestampsAsText: true })` returns. Rows rendered to JSON straight
 * away skip the Date (parsing one is a noticeable share of a search request's server CPU); text in any other
 * form goes through pg's parser.
 */
export function isoTimestamp(value: Date | string): string {
  if (typeof value === 'string') {
    const utc = UTC_TIMESTAMP_TEXT.exec(value);
    if (utc) return `${utc[1]}T${utc[2]}.${`${utc[3] ?? ''}000`.slice(0, 3)}Z`;
    return (parseTimestamptz(value) as Date).toISOString();
  }
  return value.toISOString();
}

const statementNames = new Map<string, string>();
/** A prepared statement's name on every connection: derived from its text, so one name never means two texts. */
function statementName(text: string) {
  let name = statementNames.get(text);
  if (!name) {
    name = `ale_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
    if (statementNames.size < 1000) statementNames.set(text, name);
  }
  return name;
}

/** `$name` placeholders → `$1…` with their values in order; a name missing from `bind` is an error. */
function positional(text: string, bind: Record<string, unknown>) {
  const values: unknown[] = [];
  const index = new Map<string, number>();
  const sql = text.replace(/\$([A-Za-z_][A-Za-z0-9_]*)/g, (_, key: string) => {
    if (!(key in bind)) throw new Error(`No value bound for $${key}`);
    let n = index.get(key);
    if (n === undefined) {
      n = values.push(bind[key]);
      index.set(key, n);
    }
    return `$${n}`;
  });
  return { text: sql, values };
}
