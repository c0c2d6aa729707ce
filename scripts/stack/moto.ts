import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isPortOpen, type ManagedProcess, startProcess, waitFor } from './processes';

export const MOTO_VERSION = '5.2.5';
const venvDir = path.join(os.homedir(), '.cache', 'ale', `moto-${MOTO_VERSION}-venv`);
const motoServer = path.join(venvDir, 'bin', 'moto_server');

function run(command: string, args: string[]) {
  const result = spawnSync(command, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (exit ${result.status ?? result.signal})`);
  }
}

/** Creates the moto venv once (outside the repo, shared by every checkout) and returns moto_server's path. */
export function ensureMoto(log: (line: string) => void = console.log): string {
  if (fs.existsSync(motoServer)) return motoServer;
  const python = process.env.PYTHON ?? 'python3';
  log(`Creating a Python venv for moto ${MOTO_VERSION} in ${venvDir} (first time only)…`);
  fs.rmSync(venvDir, { recursive: true, force: true });
  run(python, ['-m', 'venv', venvDir]);
  run(path.join(venvDir, 'bin', 'pip'), [
    'install',
    '--quiet',
    '--disable-pip-version-check',
    `moto[server]==${MOTO_VERSION}`,
  ]);
  return motoServer;
}

export async function startMoto(options: {
  port: number;
  logFile?: string;
  detached?: boolean;
}): Promise<ManagedProcess> {
  const server = ensureMoto();
  if (await isPortOpen(options.port)) {
    throw new Error(
      `Port ${options.port} is already in use; stop what holds it or set AWS_ENDPOINT_URL to another port.`,
    );
  }
  const proc = startProcess('moto', server, ['-H', '127.0.0.1', '-p', String(options.port)], {
    logFile: options.logFile,
    detached: options.detached,
  });
  await waitFor('moto', () => isPortOpen(options.port), { process: proc, timeoutMs: 30_000 });
  return proc;
}
