import assert from 'node:assert/strict';
import { type ListFacts, listState } from '../../domain/list-state';

describe('listState (docs/spec.md §8)', () => {
  const now = new Date('2026-12-04T12:00:00Z');
  const hoursAgo = (hours: number) => new Date(now.getTime() - hours * 3_600_000);
  const cases: [string, ListFacts, string][] = [
    ['nothing ever checked', { lastCheck: null, lastImport: null }, 'never'],
    [
      'checks failed, nothing ever loaded',
      { lastCheck: { status: 'failed', checkedAt: hoursAgo(1) }, lastImport: null },
      'never',
    ],
    [
      'loaded an hour ago',
      { lastCheck: { status: 'imported', checkedAt: hoursAgo(1) }, lastImport: { checkedAt: hoursAgo(1) } },
      'fresh',
    ],
    [
      'an old import verified unchanged today',
      {
        lastCheck: { status: 'unchanged', checkedAt: hoursAgo(2) },
        lastImport: { checkedAt: hoursAgo(900) },
      },
      'fresh',
    ],
    [
      'the last check failed',
      { lastCheck: { status: 'failed', checkedAt: hoursAgo(1) }, lastImport: { checkedAt: hoursAgo(30) } },
      'failed',
    ],
    [
      'no successful check for 49 hours',
      { lastCheck: { status: 'imported', checkedAt: hoursAgo(49) }, lastImport: { checkedAt: hoursAgo(49) } },
      'stale',
    ],
  ];
  for (const [name, facts, expected] of cases) {
    it(`${name}: ${expected}`, () => assert.equal(listState(facts, now, 172_800), expected));
  }
});
