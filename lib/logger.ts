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

export function createLogger(
  options: { level: string; name: string },
  destination?: pino.DestinationStream,
): Logger {
  return pino(
    {
      name: options.name,
      level: options.level,
      redact: { paths: redactPaths, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
