/**
 * Workflow starts per second of the dev/test Temporal server (scripts/stack/temporal-server.ts), its
 * SQLite file in the default journal mode against `SQLITE_PRAGMAS` (WAL, synchronous=normal), in
 * alternating rounds: each a fresh server and file, `--starts` starts `--concurrency` at a time (no
 * worker: the workflows start and wait). What the outbox relay can deliver after an outage is
 * bounded by this rate (docs/benchmarks.md, "outbox").
 *
 *   npm run bench -- temporal-starts        (or: node --import tsx bench/temporal-starts.ts --starts 300)
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { freePort } from '../scripts/stack/processes';
import { resolveTemporalCli } from '../scripts/stack/temporal-cli';
import { SQLITE_PRAGMAS, startTemporalDevServer } from '../scripts/stack/temporal-server';

const { values } = parseArgs({
  options: {
    starts: { type: 'string', default: '300' },
    concurrency: { type: 'string', default: '16' },
    rounds: { type: 'string', default: '2' },
  },
});
const STARTS = Number(values.starts);
const CONCURRENCY = Number(values.concurrency);
const cli = resolveTemporalCli(() => {});

async function startsPerSecond(sqlitePragmas: readonly string[]): Promise<number> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'temporal-starts-'));
  const port = await freePort();
  const server = await startTemporalDevServer({
    cli,
    port,
    uiPort: await freePort(),
    namespace: 'default',
    dbFile: path.join(dir, 'temporal.sqlite'),
    logFile: path.join(dir, 'temporal.log'),
    sqlitePragmas,
  });
  const connection = await Connection.connect({ address: `127.0.0.1:${port}` });
  try {
    const client = new Client({ connection });
    const taskQueue = `starts-${randomUUID()}`;
    const start = (id: string) =>
      client.workflow.start('benchStart', { taskQueue, workflowId: id, args: [{ ids: [randomUUID()] }] });
    for (let i = 0; i < 20; i++) await start(`warm-${i}`);
    const began = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < STARTS) await start(`start-${next++}`);
      }),
    );
    return STARTS / ((performance.now() - began) / 1000);
  } finally {
    await connection.close();
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

for (let round = 0; round < Number(values.rounds); round++) {
  const plain = await startsPerSecond([]);
  const wal = await startsPerSecond(SQLITE_PRAGMAS);
  console.log(
    `round ${round + 1}: default journal ${plain.toFixed(1)} starts/s, ${SQLITE_PRAGMAS.join(' + ')} ` +
      `${wal.toFixed(1)} starts/s (${(wal / plain).toFixed(2)}×); load average ` +
      os
        .loadavg()
        .map((load) => load.toFixed(2))
        .join(' '),
  );
}
