import Rollbar from 'rollbar';
import type { Config } from './config';

/**
 * Errors to Rollbar (docs/spec.md §12): a log stream, so whatever a process logs at `ROLLBAR_LEVEL`
 * or above is reported — the API's unhandled errors, the worker's failed workflow tasks — after the
 * logger's own redaction (lib/logger.ts: no passwords or tokens, no Postgres values or rows). The
 * item is scrubbed again here: the fields of a person or a credential, and quoted values in messages.
 */

const LEVELS: Record<number, Rollbar.Level> = {
  10: 'debug',
  20: 'debug',
  30: 'info',
  40: 'warning',
  50: 'error',
  60: 'critical',
};
const PINO_LEVEL: Record<Config['ROLLBAR_LEVEL'], number> = {
  debug: 20,
  info: 30,
  warning: 40,
  error: 50,
  critical: 60,
};

/** Keys whose values are never sent, wherever they are in the item. */
export const SCRUBBED_FIELDS = [
  'password',
  'passwordHash',
  'token',
  'accessToken',
  'ticket',
  'authorization',
  'cookie',
  'x-webhook-secret',
  'email',
  'firstName',
  'lastName',
  'middleName',
  'name',
  'dateOfBirth',
  'dob',
  'phone',
  'address',
  'ssn',
  'detail',
  'where',
  'parameters',
  'bind',
  'values',
];

// Postgres (and others) quote the offending input: `Failing row contains (…)`, `"…"`.
const QUOTED = /"(?:[^"]|"")*"|Failing row contains \(.*\)/g;
const scrubText = (text: string) => text.replace(QUOTED, '[scrubbed]');
const scrubValues = (value: unknown): unknown => {
  if (typeof value === 'string') return scrubText(value);
  if (Array.isArray(value)) return value.map(scrubValues);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, scrubValues(inner)]));
  }
  return value;
};

type Trace = { frames?: { code?: unknown; context?: unknown }[] };

export interface ErrorReportStream {
  level: number;
  write(line: string): void;
  /** Resolves once the items sent so far have been delivered (or given up on). */
  flush(): Promise<void>;
}

/** The stream for `createLogger`'s `reportTo`; undefined when ROLLBAR_ACCESS_TOKEN is unset. */
export function rollbarStream(
  config: Pick<Config, 'ROLLBAR_ACCESS_TOKEN' | 'ROLLBAR_LEVEL' | 'ROLLBAR_ENDPOINT' | 'APP_ENV'>,
  processName: string,
): ErrorReportStream | undefined {
  if (!config.ROLLBAR_ACCESS_TOKEN) return undefined;
  const rollbar = new Rollbar({
    accessToken: config.ROLLBAR_ACCESS_TOKEN,
    endpoint: config.ROLLBAR_ENDPOINT,
    environment: config.APP_ENV,
    reportLevel: config.ROLLBAR_LEVEL,
    // The process's own handlers decide about crashes; Rollbar sees what the logger sees.
    captureUncaught: false,
    captureUnhandledRejections: false,
    autoInstrument: false,
    scrubFields: SCRUBBED_FIELDS,
    payload: { server: { host: processName } },
    // Rollbar reads the source lines around each frame: code, not data, but nothing the item needs.
    transform: (data) => {
      const body = data.body as { trace?: Trace; trace_chain?: Trace[] } | undefined;
      for (const trace of [body?.trace, ...(body?.trace_chain ?? [])]) {
        for (const frame of trace?.frames ?? []) {
          delete frame.code;
          delete frame.context;
        }
      }
    },
  });
  return {
    level: PINO_LEVEL[config.ROLLBAR_LEVEL],
    write(line: string) {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line);
      } catch {
        return;
      }
      const { level, msg, err, time: _time, pid: _pid, hostname: _hostname, ...context } = entry;
      const rollbarLevel = LEVELS[level as number] ?? 'error';
      const message = scrubText(String(msg ?? 'log entry'));
      const custom = scrubValues(context) as Record<string, unknown>;
      const serialized = err as { type?: string; message?: string; stack?: string } | undefined;
      // Reporting never breaks logging: Rollbar's client queues and sends in the background.
      try {
        if (serialized?.message !== undefined) {
          const error = new Error(scrubText(serialized.message));
          error.name = serialized.type ?? 'Error';
          error.stack = scrubText(serialized.stack ?? `${error.name}: ${error.message}`);
          rollbar[rollbarLevel](message, error, custom);
        } else rollbar[rollbarLevel](message, custom);
      } catch {
        // nothing to do: the line is in the log
      }
    },
    flush: () => new Promise<void>((resolve) => rollbar.wait(resolve)),
  };
}
