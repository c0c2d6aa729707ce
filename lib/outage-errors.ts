/**
 * Whether an error says a dependency is away (Postgres restarting, S3 unreachable) rather than that
 * the work itself is wrong. Activities doing idempotent database or S3 work retry the first kind
 * without limit (docs/spec.md §12) and the second only a few times (workers/patient-retries.ts).
 */

/** Node's socket errors of a peer that is down or unreachable. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * Postgres SQLSTATEs of an outage or of contention that goes away: connection exceptions (08),
 * insufficient resources (53), operator intervention (57P01–57P05: shutdown, restart, cannot connect
 * now), a statement cancelled by its timeout (57014), serialization failures and deadlocks (40001,
 * 40P01), a lock not available (55P03).
 */
const isTransientSqlState = (code: string) =>
  /^(08|53)/.test(code) || /^57P0[1-5]$/.test(code) || ['57014', '40001', '40P01', '55P03'].includes(code);

const TRANSIENT_NAMES =
  /^(Sequelize(Connection|ConnectionRefused|ConnectionTimedOut|ConnectionAcquireTimeout|HostNotReachable|HostNotFound|AccessDenied)?Error|TimeoutError|RequestTimeout|RequestTimeoutException|ServiceUnavailable|SlowDown|InternalError|ThrottlingException|Throttling|TooManyRequestsException)$/;

const TRANSIENT_MESSAGES =
  /Connection terminated|connection error|timeout exceeded when trying to connect|socket hang up|the database system is (starting up|shutting down)|Client network socket disconnected/i;

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  cause?: unknown;
  parent?: unknown;
  original?: unknown;
}

function isTransientOne(error: ErrorLike): boolean {
  const code = typeof error.code === 'string' ? error.code : '';
  if (NETWORK_CODES.has(code) || (/^[0-9A-Z]{5}$/.test(code) && isTransientSqlState(code))) return true;
  // The SequelizeError base name is too broad: only its connection subclasses count.
  if (typeof error.name === 'string' && error.name !== 'SequelizeError' && TRANSIENT_NAMES.test(error.name)) {
    return true;
  }
  if (typeof error.message === 'string' && TRANSIENT_MESSAGES.test(error.message)) return true;
  if (error.$retryable) return true;
  const status = error.$metadata?.httpStatusCode;
  return typeof status === 'number' && (status >= 500 || status === 429);
}

/** True when `error`, or an error it wraps (`cause`, Sequelize's `parent`/`original`), is an outage. */
export function isOutageError(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 5) return false;
  const candidate = error as ErrorLike;
  if (isTransientOne(candidate)) return true;
  return [candidate.cause, candidate.parent, candidate.original].some(
    (inner) => inner !== error && isOutageError(inner, depth + 1),
  );
}
