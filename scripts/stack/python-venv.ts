import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

function run(command: string, args: string[]) {
  const result = spawnSync(command, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (exit ${result.status ?? result.signal})`);
  }
}

/**
 * A Python venv holding one pinned PyPI requirement, created once under ~/.cache/ale (outside the
 * repo, shared by every checkout); returns the path of `executable` in its bin/.
 */
export function ensurePythonTool(
  options: { name: string; version: string; requirement: string; executable: string },
  log: (line: string) => void = console.log,
): string {
  const venvDir = path.join(os.homedir(), '.cache', 'ale', `${options.name}-${options.version}-venv`);
  const executable = path.join(venvDir, 'bin', options.executable);
  if (fs.existsSync(executable)) return executable;
  const python = process.env.PYTHON ?? 'python3';
  log(`Creating a Python venv for ${options.name} ${options.version} in ${venvDir} (first time only)…`);
  fs.rmSync(venvDir, { recursive: true, force: true });
  run(python, ['-m', 'venv', venvDir]);
  run(path.join(venvDir, 'bin', 'pip'), [
    'install',
    '--quiet',
    '--disable-pip-version-check',
    options.requirement,
  ]);
  return executable;
}
