import { createHash } from 'node:crypto';
import pg from 'pg';
import { Sequelize, type Transaction } from 'sequelize';

/**
 * How every store talks to Postgres: SQL text with `$name` placeholders and an object of values,
 * on a connection of Sequelize's pool, on an open transaction's connection, or on a connection of
 * the caller's own (a session whose temporary tables outlive one statement). Stores are the only
 * callers; routes, services and activities call stores.
 *
 * The statement goes straight to node-postgres (no Sequelize query building or result handling),
 * and a failing statement's error carries no bound values, so logging it cannot leak a row.
 */
export type Db = Sequelize | Transaction | pg.Client;
export type Bind = Record<string, unknown>;
export type Row = pg.QueryResultRow;

export interface QueryOptions {
  /**
   * Parse the statement once per connection and reuse it (Postgres may switch it to a generic plan):
   * only for SQL whose plan does not hinge on the values.
   */
  prepare?: boolean;
  /** timestamptz columns as Postgres's text, for `isoTimestamp` (rows rendered to JSON at once). */
  timestampsAsText?: boolean;
}

export async function query<R extends Row>(
  db: Db,
  text: string,
  bind: Bind = {},
  options: QueryOptions = {},
): Promise<R[]> {
  return (await run<R>(db, text, bind, options)).rows;
}

export async function queryOne<R extends Row>(
  db: Db,
  text: string,
  bind: Bind = {},
  options: QueryOptions = {},
): Promise<R | undefined> {
  return (await run<R>(db, text, bind, options)).rows[0];
}

/** A statement run for its effect; returns the number of rows it touched. */
export async function execute(db: Db, text: string, bind: Bind = {}): Promise<number> {
  return (await run(db, text, bind, {})).rowCount ?? 0;
}

/** One connection for work the statements above cannot express (COPY streams, binary parameters). */
export async function withClient<T>(db: Db, work: (client: pg.Client) => Promise<T>): Promise<T> {
  if (db instanceof pg.Client) return work(db);
  if (!(db instanceof Sequelize)) return work(transactionClient(db));
  const client = (await db.connectionManager.getConnection({ type: 'write' })) as pg.Client;
  try {
    return await work(client);
  } finally {
    db.connectionManager.releaseConnection(client);
  }
}

/** Runs `work` in one transaction: committed when it returns, rolled back when it throws. */
export function inTransaction<T>(sequelize: Sequelize, work: (tx: Transaction) => Promise<T>): Promise<T> {
  return sequelize.transaction(work);
}

function run<R extends Row>(db: Db, text: string, bind: Bind, options: QueryOptions) {
  const { sql, names } = compiled(text);
  const values = names.map((name) => {
    if (!(name in bind)) throw new Error(`No value bound for $${name}`);
    return bind[name];
  });
  const config: pg.QueryConfig = {
    text: sql,
    values,
    name: options.prepare ? statementName(sql) : undefined,
    types: options.timestampsAsText ? TIMESTAMPS_AS_TEXT : undefined,
  };
  return withClient(db, (client) => client.query<R>(config));
}

function transactionClient(transaction: Transaction): pg.Client {
  // Sequelize keeps the transaction's pg connection here once the transaction has begun.
  const client = (transaction as unknown as { connection?: pg.Client }).connection;
  if (!client) throw new Error('The transaction has no connection: it has not begun or has ended.');
  return client;
}

interface Compiled {
  sql: string;
  names: string[];
}
const compiledTexts = new Map<string, Compiled>();

/** `$name` placeholders → `$1…` (a name used twice is one parameter); cached per statement text. */
function compiled(text: string): Compiled {
  let entry = compiledTexts.get(text);
  if (!entry) {
    const names: string[] = [];
    const sql = text.replace(/\$([A-Za-z_][A-Za-z0-9_]*)/g, (_, name: string) => {
      let index = names.indexOf(name);
      if (index < 0) index = names.push(name) - 1;
      return `$${index + 1}`;
    });
    entry = { sql, names };
    if (compiledTexts.size < 2000) compiledTexts.set(text, entry);
  }
  return entry;
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

const TIMESTAMPS_AS_TEXT = {
  getTypeParser: ((oid: number, format?: 'text') =>
    oid === pg.types.builtins.TIMESTAMPTZ
      ? (value: string) => value
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** Whether `error` is Postgres refusing a row that a unique index already holds. */
export const isUniqueViolation = (error: unknown) => (error as { code?: unknown } | null)?.code === '23505';
