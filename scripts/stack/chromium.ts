import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** Headless Chromium renders /docs in test/api/docs-ui.test.ts; Debian packages it as `chromium`. */
export const CHROMIUM_HELP =
  "Chromium is missing: the Swagger UI test (test/api/docs-ui.test.ts) renders /docs in it. Install Debian's package: sudo apt-get install -y chromium";

const BINARIES = ['chromium', 'chromium-browser'];

/** Chromium's path on PATH, or undefined. */
export function findChromium(): string | undefined {
  for (const binary of BINARIES) {
    for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
      const candidate = path.join(dir, binary);
      if (dir && fs.existsSync(candidate)) return candidate;
    }
  }
  return undefined;
}

/**
 * Finds Chromium, installing Debian's package when it is missing and this process is root with
 * apt-get (as in CI); otherwise says how to install it. Returns its path, or undefined.
 */
export function ensureChromium(log: (line: string) => void = console.log): string | undefined {
  const found = findChromium();
  if (found) return found;
  const aptGet = ['/usr/bin/apt-get', '/bin/apt-get'].find((candidate) => fs.existsSync(candidate));
  if (process.getuid?.() !== 0 || !aptGet) {
    log(CHROMIUM_HELP);
    return undefined;
  }
  log("Installing Debian's chromium package (first time only)…");
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update'], ['install', '-y', '--no-install-recommends', 'chromium']]) {
    const result = spawnSync(aptGet, ['-q', ...args], { env, stdio: ['ignore', 'inherit', 'inherit'] });
    if (result.status !== 0) {
      log(`apt-get ${args.join(' ')} failed (exit ${result.status ?? result.signal}). ${CHROMIUM_HELP}`);
      return undefined;
    }
  }
  return findChromium();
}
