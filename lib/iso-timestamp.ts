import pg from 'pg';

const parseTimestamptz = pg.types.getTypeParser(pg.types.builtins.TIMESTAMPTZ);

// Postgres's ISO output of a timestamptz in a UTC session (Sequelize sets its connections to +00:00).
const UTC_TIMESTAMP_TEXT = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?\+00$/;

/**
 * A timestamptz as ISO 8601 with milliseconds, exactly what `Date#toISOString` gives: from a Date, or
 * from the text a query with `timestampsAsText` returns. Rows rendered to JSON straight
 * away skip the Date (a Date per timestamp is work a list of rows does not need); text in any other
 * form goes through pg's parser.
 */
export function isoTimestamp(value: Date | string): string {
  if (typeof value === 'string') {
    const utc = UTC_TIMESTAMP_TEXT.exec(value);
    if (utc) return `${utc[1]}T${utc[2]}.${`${utc[3] ?? ''}000`.slice(0, 3)}Z`;
    return (parseTimestamptz(value) as Date).toISOString();
  }
  return value.toISOString();
}
