import type { FieldProblem } from './errors';

/**
 * Periods asked for in a query (`?from=&to=`): the audit log (docs/spec.md §10) and the screening
 * report. A bound is a calendar date `YYYY-MM-DD` (a whole UTC day: `to` includes it) or an ISO 8601
 * timestamp with its offset. Pure: the API turns the problems into a 422 naming the field.
 */

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const DAY_MS = 86_400_000;

/** A real calendar date as its UTC midnight, or null. */
export function parseCalendarDate(value: string): Date | null {
  const match = DATE.exec(value);
  if (!match) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC reads the years 0–99 as 1900–1999.
  date.setUTCFullYear(year, month - 1, day);
  if (year < 1 || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return null;
  return date;
}

/** `YYYY-MM-DD` of a UTC instant. */
export const calendarDate = (date: Date) => date.toISOString().slice(0, 10);

/** A half-open period [start, end). */
export interface Period {
  start: Date;
  end: Date;
}

type Bound = { kind: 'date' | 'timestamp'; at: Date };

function parseBound(value: string): Bound | null {
  const date = parseCalendarDate(value);
  if (date) return { kind: 'date', at: date };
  if (!TIMESTAMP.test(value)) return null;
  const at = new Date(value);
  return Number.isNaN(at.getTime()) || at.getUTCFullYear() < 1 ? null : { kind: 'timestamp', at };
}

/**
 * `from` and `to` (either may be missing: an open end) as a half-open period, or the problems of
 * each. `to` as a date includes that day; `from` after `to` is a problem of `to`.
 */
export function parseOptionalPeriod(
  query: { from?: string; to?: string },
  options: { dateOnly?: boolean } = {},
): { start: Date | null; end: Date | null } | { problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const read = (name: 'from' | 'to') => {
    const value = query[name];
    if (value === undefined) return null;
    const bound = parseBound(value);
    if (!bound || (options.dateOnly && bound.kind !== 'date')) {
      problems.push({
        path: `query.${name}`,
        message: options.dateOnly
          ? 'must be a calendar date YYYY-MM-DD'
          : 'must be a calendar date YYYY-MM-DD or an ISO 8601 timestamp with its offset',
      });
      return null;
    }
    return bound;
  };
  const from = read('from');
  const to = read('to');
  const start = from?.at ?? null;
  const end = to ? (to.kind === 'date' ? new Date(to.at.getTime() + DAY_MS) : to.at) : null;
  // A date `to` ends after its day, so from = to is that one day; two equal timestamps are an empty period.
  const backwards = start && end && (to?.kind === 'date' ? start >= end : start > end);
  if (backwards) {
    problems.push({ path: 'query.to', message: 'must not be before from' });
  }
  return problems.length > 0 ? { problems } : { start, end };
}

/** The current UTC calendar month of `now`, as a half-open period. */
export function utcMonthOf(now: Date): Period {
  const start = new Date(0);
  start.setUTCFullYear(now.getUTCFullYear(), now.getUTCMonth(), 1);
  const end = new Date(0);
  end.setUTCFullYear(now.getUTCFullYear(), now.getUTCMonth() + 1, 1);
  return { start, end };
}

/**
 * A report period (dates only): both bounds, or the current UTC month for a missing pair; one bound
 * alone is completed to the month around it. At most `maxMonths` months long.
 */
export function parseReportPeriod(
  query: { from?: string; to?: string },
  now: Date,
  maxMonths: number,
): Period | { problems: FieldProblem[] } {
  const parsed = parseOptionalPeriod(query, { dateOnly: true });
  if ('problems' in parsed) return parsed;
  const month = utcMonthOf(parsed.start ?? (parsed.end ? new Date(parsed.end.getTime() - DAY_MS) : now));
  const start = parsed.start ?? month.start;
  const end = parsed.end ?? (parsed.start ? utcMonthOf(parsed.start).end : month.end);
  if (end.getTime() <= start.getTime()) {
    return { problems: [{ path: 'query.to', message: 'must not be before from' }] };
  }
  const limit = new Date(start);
  limit.setUTCMonth(limit.getUTCMonth() + maxMonths);
  if (end.getTime() > limit.getTime()) {
    return { problems: [{ path: 'query.to', message: `the period is at most ${maxMonths} months long` }] };
  }
  return { start, end };
}
