import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const TEMPORAL_CLI_VERSION = '1.5.1';
const cacheDir = path.join(os.homedir(), '.cache', 'ale', `temporal-${TEMPORAL_CLI_VERSION}`);
const cachedBinary = path.join(cacheDir, 'temporal');

export type TemporalCli = { source: string; path: string } | { source: 'sdk-download'; path: undefined };

function onPath(binary: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, binary);
    if (dir && fs.existsSync(candidate)) return candidate;
  }
  return undefined;
}

function goInstall(log: (line: string) => void): string | undefined {
  const go = onPath('go');
  if (!go) return undefined;
  log(`Building the Temporal CLI v${TEMPORAL_CLI_VERSION} with go install (first time only, a few minutes)…`);
  const args = [
    'install',
    '-ldflags',
    `-X github.com/temporalio/cli/temporalcli.Version=${TEMPORAL_CLI_VERSION}`,
    `github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_VERSION}`,
  ];
  for (const extraEnv of [{}, { GOSUMDB: 'off' }]) {
    const result = spawnSync(go, args, {
      env: { ...process.env, GOBIN: cacheDir, ...extraEnv },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    if (result.status === 0 && fs.existsSync(cachedBinary)) return cachedBinary;
    log(`go install failed${'GOSUMDB' in extraEnv ? ' with GOSUMDB=off' : '; retrying with GOSUMDB=off'}`);
  }
  return undefined;
}

/**
 * Finds a Temporal CLI: TEMPORAL_CLI_PATH, then `temporal` on PATH, then the cached
 * `go install` build (building it when Go is present), and last the SDK's own download.
 */
export function resolveTemporalCli(log: (line: string) => void = console.log): TemporalCli {
  const explicit = process.env.TEMPORAL_CLI_PATH;
  if (explicit) {
    if (!fs.existsSync(explicit)) {
      throw new Error(`TEMPORAL_CLI_PATH=${explicit} does not exist; point it at a temporal CLI binary.`);
    }
    return { source: 'TEMPORAL_CLI_PATH', path: explicit };
  }
  const fromPath = onPath('temporal');
  if (fromPath) return { source: 'PATH', path: fromPath };
  if (fs.existsSync(cachedBinary)) return { source: 'cache', path: cachedBinary };
  const built = goInstall(log);
  if (built) return { source: 'go install', path: built };
  return { source: 'sdk-download', path: undefined };
}

export const TEMPORAL_CLI_HELP = `No Temporal CLI could be obtained. Provide one of:
  - TEMPORAL_CLI_PATH=/path/to/temporal
  - a 'temporal' binary on PATH
  - Go ≥ 1.23 on PATH, so it can be built with:
      go install -ldflags "-X github.com/temporalio/cli/temporalcli.Version=${TEMPORAL_CLI_VERSION}" github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_VERSION}
    (GOBIN=${cacheDir})
  - internet access to temporal.download, for the SDK's own download`;

export function temporalCliVersion(cliPath: string): string {
  return execFileSync(cliPath, ['--version'], { encoding: 'utf8' }).trim();
}
