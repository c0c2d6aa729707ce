import { TestWorkflowEnvironment } from '@temporalio/testing';
import { isPortOpen, startProcess, waitFor } from './processes';
import { TEMPORAL_CLI_HELP, type TemporalCli } from './temporal-cli';

export interface RunningTemporal {
  stop(): Promise<void>;
}

export interface TemporalDevServerOptions {
  cli: TemporalCli;
  port: number;
  uiPort: number;
  namespace: string;
  dbFile: string;
  logFile: string;
  codecEndpoint?: string;
  /** A detached server does not receive the terminal's Ctrl-C (the dev launcher stops it in order). */
  detached?: boolean;
  /** `PRAGMA=VALUE` settings of the SQLite file; undefined: SQLITE_PRAGMAS. */
  sqlitePragmas?: readonly string[];
}

/**
 * The dev/test server's SQLite file in write-ahead-log mode with `synchronous=normal`: a commit no
 * longer waits for an fsync, which lets the single-file server take several times more workflow
 * starts per second (docs/benchmarks.md, "Outbox"). A crash of the server process loses nothing;
 * only an OS crash or power loss may lose the last commits — acceptable for a dev and test server,
 * never a production setting (production Temporal is not this server, docs/operations.md).
 */
export const SQLITE_PRAGMAS = ['journal_mode=wal', 'synchronous=normal'] as const;

/** `temporal server start-dev` with the Web UI and a SQLite file, so workflows survive restarts. */
export async function startTemporalDevServer(options: TemporalDevServerOptions): Promise<RunningTemporal> {
  for (const port of [options.port, options.uiPort]) {
    if (await isPortOpen(port)) {
      throw new Error(
        `Port ${port} is already in use (another Temporal dev server?); stop it or change TEMPORAL_ADDRESS / TEMPORAL_UI_URL.`,
      );
    }
  }
  const args = [
    '--ip',
    '127.0.0.1',
    '--port',
    String(options.port),
    '--ui-port',
    String(options.uiPort),
    '--db-filename',
    options.dbFile,
    '--namespace',
    options.namespace,
    '--log-level',
    'warn',
    // Activities scheduled by a workflow task go straight back to the worker that completed it (the
    // SDK asks for this by default) instead of through a task-queue poll: one server hop less each.
    '--dynamic-config-value',
    'system.enableActivityEagerExecution=true',
    ...(options.sqlitePragmas ?? SQLITE_PRAGMAS).flatMap((pragma) => ['--sqlite-pragma', pragma]),
    ...(options.codecEndpoint ? ['--ui-codec-endpoint', options.codecEndpoint] : []),
  ];
  if (!options.cli.path) return startWithSdkDownload(options, args);
  const server = startProcess('temporal', options.cli.path, ['server', 'start-dev', ...args], {
    logFile: options.logFile,
    detached: options.detached ?? false,
  });
  await waitFor('Temporal dev server', () => isPortOpen(options.port), {
    process: server,
    timeoutMs: 60_000,
  });
  await waitFor('Temporal Web UI', () => isPortOpen(options.uiPort), { process: server, timeoutMs: 30_000 });
  return { stop: () => server.stop(15_000) };
}

async function startWithSdkDownload(
  options: TemporalDevServerOptions,
  args: string[],
): Promise<RunningTemporal> {
  try {
    const env = await TestWorkflowEnvironment.createLocal({
      server: {
        ip: '127.0.0.1',
        port: options.port,
        ui: true,
        uiPort: options.uiPort,
        dbFilename: options.dbFile,
        namespace: options.namespace,
        extraArgs: args.slice(args.indexOf('--log-level')),
      },
    });
    return { stop: () => env.teardown() };
  } catch (error) {
    throw new Error(`${TEMPORAL_CLI_HELP}\n(the SDK download failed: ${(error as Error).message})`);
  }
}
