import assert from 'node:assert/strict';
import fc from 'fast-check';
import { calendarDate, parseCalendarDate, parseOptionalPeriod, parseReportPeriod } from '../../domain/period';

const NOW = new Date('2026-12-05T06:00:00Z');
const iso = (date: Date | null) => date?.toISOString() ?? null;

describe('periods of ?from=&to= (domain/period.ts)', () => {
  it('reads calendar dates that exist, and nothing else', () => {
    assert.equal(iso(parseCalendarDate('2024-02-29')), '2024-02-29T00:00:00.000Z');
    for (const bad of ['2026-02-29', '2026-13-01', '2026-00-10', '2026-1-01', '20260101', '0000-01-01', '']) {
      assert.equal(parseCalendarDate(bad), null, bad);
    }
    fc.assert(
      fc.property(
        fc.date({ min: new Date('0001-01-01'), max: new Date('9999-12-31'), noInvalidDate: true }),
        (date) => {
          const day = calendarDate(date);
          assert.equal(calendarDate(parseCalendarDate(day) as Date), day);
        },
      ),
    );
  });

  it('audit-log bounds: a date `to` includes its day, timestamps are exact, missing ends are open', () => {
    const period = (from?: string, to?: string) => {
      const parsed = parseOptionalPeriod({ from, to });
      return 'problems' in parsed ? parsed.problems.map((p) => p.path) : [iso(parsed.start), iso(parsed.end)];
    };
    assert.deepEqual(period('2026-03-01', '2026-03-01'), [
      '2026-03-01T00:00:00.000Z',
      '2026-03-02T00:00:00.000Z',
    ]);
    assert.deepEqual(period(undefined, '2026-03-01T12:00:00+02:00'), [null, '2026-03-01T10:00:00.000Z']);
    assert.deepEqual(period(), [null, null]);
    assert.deepEqual(period('2026-03-02', '2026-03-01'), ['query.to']);
    assert.deepEqual(period('2026-03-01T10:00:00Z', '2026-03-01T10:00:00Z'), [
      '2026-03-01T10:00:00.000Z',
      '2026-03-01T10:00:00.000Z',
    ]);
    assert.deepEqual(period('2026-03-01T10:00:00', 'soon'), ['query.from', 'query.to']);
  });

  it('report periods: the current UTC month by default, one bound completes its month, at most 13 months', () => {
    const report = (from?: string, to?: string) => {
      const parsed = parseReportPeriod({ from, to }, NOW, 13);
      return 'problems' in parsed ? parsed.problems.map((p) => p.path) : [iso(parsed.start), iso(parsed.end)];
    };
    assert.deepEqual(report(), ['2026-12-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z']);
    assert.deepEqual(report('2026-02-10'), ['2026-02-10T00:00:00.000Z', '2026-03-01T00:00:00.000Z']);
    assert.deepEqual(report(undefined, '2026-02-10'), [
      '2026-02-01T00:00:00.000Z',
      '2026-02-11T00:00:00.000Z',
    ]);
    assert.deepEqual(report('2025-01-01', '2026-01-31'), [
      '2025-01-01T00:00:00.000Z',
      '2026-02-01T00:00:00.000Z',
    ]);
    assert.deepEqual(report('2025-01-01', '2026-02-01'), ['query.to']);
    assert.deepEqual(report('2026-02-10', '2026-02-09'), ['query.to']);
    assert.deepEqual(report('2026-02-10T00:00:00Z'), ['query.from']);
    assert.deepEqual(report(undefined, '0001-01-01'), [
      '0001-01-01T00:00:00.000Z',
      '0001-01-02T00:00:00.000Z',
    ]);
  });
});
