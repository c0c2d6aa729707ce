import { ensurePythonTool } from './python-venv';

export const SCHEMATHESIS_VERSION = '4.32.5';

/** The schemathesis CLI (PyPI), in its own venv under ~/.cache/ale; created on first use. */
export function ensureSchemathesis(log: (line: string) => void = console.log): string {
  return ensurePythonTool(
    {
      name: 'schemathesis',
      version: SCHEMATHESIS_VERSION,
      requirement: `schemathesis==${SCHEMATHESIS_VERSION}`,
      executable: 'schemathesis',
    },
    log,
  );
}
