import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ZodError } from 'zod';
import {
  ConflictError,
  DomainError,
  ForbiddenError,
  GoneError,
  InvalidInputError,
  NotFoundError,
  UnauthenticatedError,
  UnavailableError,
} from '../domain/errors';
import { isOutageError } from '../lib/outage-errors';

export interface FieldError {
  path: string;
  message: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  410: 'Gone',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** The detail of every 422 whose `errors` name the fields at fault. */
export const INVALID_REQUEST = 'The request is not valid; see errors for each field.';

/** Thrown anywhere in a handler; the error handler turns it into application/problem+json. */
export class ProblemError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly detail: string,
    readonly extra: {
      type?: string;
      title?: string;
      errors?: FieldError[];
      headers?: Record<string, string>;
      /** RFC 9457 extension members, e.g. the accepted content types of a 415. */
      members?: Record<string, unknown>;
    } = {},
  ) {
    super(detail);
  }
}

export function problemBody(status: number, detail: string, extra: ProblemError['extra'] = {}): Problem {
  const title = extra.title ?? TITLES[status] ?? 'Error';
  return {
    type: extra.type ?? `https://ale.test/problems/${title.toLowerCase().replaceAll(' ', '-')}`,
    title,
    status,
    detail,
    ...(extra.errors ? { errors: extra.errors } : {}),
    ...extra.members,
  };
}

export function problemResponse(
  c: Context,
  status: ContentfulStatusCode,
  detail: string,
  extra: ProblemError['extra'] = {},
) {
  return c.body(JSON.stringify(problemBody(status, detail, extra)), status, {
    'Content-Type': 'application/problem+json',
    ...extra.headers,
  });
}

export function zodFieldErrors(error: ZodError, prefix?: string): FieldError[] {
  return error.issues.map((issue) => ({
    path: [prefix, ...issue.path].filter((part) => part !== undefined).join('.') || '(body)',
    message: issue.message,
  }));
}

/**
 * The one place every failure becomes problem+json; unexpected errors are logged, never leaked.
 * `explain415` turns the validator's bare 415 into one naming what the route accepts.
 */
export function handleError(error: Error, c: Context, explain415?: (c: Context) => ProblemError | undefined) {
  if (error instanceof ProblemError) return problemResponse(c, error.status, error.detail, error.extra);
  if (error instanceof DomainError) return domainProblem(c, error);
  const explained = error instanceof HTTPException && error.status === 415 ? explain415?.(c) : undefined;
  if (explained) return problemResponse(c, explained.status, explained.detail, explained.extra);
  if (error instanceof HTTPException) {
    const detail =
      error.status === 400 && /JSON/i.test(error.message)
        ? 'The request body is not valid JSON.'
        : error.message || (TITLES[error.status] ?? 'Error');
    return problemResponse(c, error.status as ContentfulStatusCode, detail);
  }
  // docs/spec.md §12: a statement past DB_STATEMENT_TIMEOUT_MS, or Postgres away, is 503, never 500.
  if (isOutageError(error)) {
    c.get('logger')?.warn({ err: error }, 'a dependency is unavailable');
    return problemResponse(c, 503, 'The database is busy or unavailable; try again shortly.', {
      headers: { 'Retry-After': '1' },
    });
  }
  c.get('logger')?.error({ err: error }, 'unhandled error');
  return problemResponse(
    c,
    500,
    'Something went wrong on our side; the request id in the response headers identifies it.',
  );
}

/** The HTTP face of a service's domain error (domain/errors.ts). */
function domainProblem(c: Context, error: DomainError) {
  const errors = error.fields.length ? { errors: error.fields } : {};
  if (error instanceof NotFoundError) return problemResponse(c, 404, error.message, errors);
  if (error instanceof ConflictError) return problemResponse(c, 409, error.message, errors);
  if (error instanceof InvalidInputError) return problemResponse(c, 422, error.message, errors);
  if (error instanceof ForbiddenError) return problemResponse(c, 403, error.message, errors);
  if (error instanceof UnauthenticatedError) return problemResponse(c, 401, error.message, errors);
  if (error instanceof GoneError) return problemResponse(c, 410, error.message, errors);
  if (error instanceof UnavailableError) {
    const headers = error.retryAfterSeconds ? { 'Retry-After': String(error.retryAfterSeconds) } : undefined;
    return problemResponse(c, 503, error.message, { ...errors, headers });
  }
  return problemResponse(c, 400, error.message, errors);
}
