import { isPortOpen, type ManagedProcess, startProcess, waitFor } from './processes';
import { ensurePythonTool } from './python-venv';

export const MOTO_VERSION = '5.2.5';

/** Creates the moto venv once (outside the repo, shared by every checkout) and returns moto_server's path. */
export function ensureMoto(log: (line: string) => void = console.log): string {
  return ensurePythonTool(
    {
      name: 'moto',
      version: MOTO_VERSION,
      requirement: `moto[server]==${MOTO_VERSION}`,
      executable: 'moto_server',
    },
    log,
  );
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
