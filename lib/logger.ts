import pino, { type Logger } from 'pino';

export type { Logger };

// Defence in depth: these keys never reach a log line even if someone logs a whole object.
const redactPaths = [
  'password',
  'passwordHash',
  'token',
  'accessToken',
  'authorization',
  '*.password',
  '*.passwordHash',
  '*.token',
  '*.accessToken',
  '*.authorization',
  'req.headers.authorization',
  'req.headers["x-webhook-secret"]',
];

// Fields of a Postgres error (and of wrappers that copy them) that can quote a row or a bound value:
// `detail` ("Failing row contains (…)", "Key (name)=(…) already exists"), `where`, `internalQuery`.
const VALUE_BEARING_FIELDS = new Set(['detail', 'where', 'internalQuery', 'parameters', 'bind', 'values']);
// Postgres quotes the offending input in its messages (`invalid input syntax for type uuid: "…"`).
const QUOTED = /"(?:[^"]|"")*"/g;

type Serialized = Record<string, unknown>;

function isPostgresError(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 5) return false;
  const { severity, code, cause, original, parent } = error as Serialized;
  if (typeof severity === 'string' && typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return true;
  return [cause, original, parent].some((inner) => isPostgresError(inner, depth + 1));
}

/** A plain object or a serialized inner error; never a Date, Buffer or array (kept as they are). */
function isNestedRecord(value: unknown): value is Serialized {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  return Object.getPrototypeOf(value) === Object.prototype || 'message' in value;
}

function withoutValues(serialized: Serialized, postgres: boolean): Serialized {
  const out: Serialized = {};
  for (const [key, value] of Object.entries(serialized)) {
    if (VALUE_BEARING_FIELDS.has(key)) {
      if (value !== undefined) out[key] = '[redacted]';
    } else if (postgres && typeof value === 'string' && (key === 'message' || key === 'stack')) {
      out[key] = value.replace(QUOTED, '"[redacted]"');
    } else if (isNestedRecord(value)) {
      out[key] = withoutValues(value, postgres);
    } else {
      out[key] = value;
    }
  }
  return out;
}

/**
 * pino's error serializer, minus whatever could carry a bound value or a row: a failing statement's
 * error is logged with its code, SQL state fields and constraint, never with the data that failed.
 */
export function serializeError(error: unknown): unknown {
  const serialized = pino.stdSerializers.err(error as Error);
  if (typeof serialized !== 'object' || serialized === null) return serialized;
  return withoutValues({ ...serialized }, isPostgresError(error));
}

export function createLogger(
  options: {
    level: string;
    name: string;
    /** A second destination for entries at its level or above (lib/error-reporting.ts: Rollbar). */
    reportTo?: pino.DestinationStream & { level: number };
  },
  destination?: pino.DestinationStream,
): Logger {
  const settings = {
    name: options.name,
    level: options.level,
    redact: { paths: redactPaths, censor: '[redacted]' },
    serializers: { err: serializeError, error: serializeError },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (!options.reportTo || options.level === 'silent') return pino(settings, destination);
  const level = pino.levels.values[options.level] ?? 30;
  return pino(
    settings,
    pino.multistream([
      { level, stream: destination ?? pino.destination(1) },
      { level: Math.max(level, options.reportTo.level), stream: options.reportTo },
    ]),
  );
}
