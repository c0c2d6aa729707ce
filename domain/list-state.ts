/**
 * The state of an exclusion list (docs/spec.md §8), from its last check and its last import:
 * - `never` until a list has been loaded (whatever the checks since: a list that never loaded
 *   screens nobody);
 * - `failed` when the last check failed (the list loaded before stays in force);
 * - `stale` when the last successful check is older than the stale-after window;
 * - `fresh` otherwise.
 */
export type ListState = 'never' | 'fresh' | 'stale' | 'failed';

export interface ListFacts {
  lastCheck: { status: 'unchanged' | 'imported' | 'failed'; checkedAt: Date } | null;
  lastImport: { checkedAt: Date } | null;
}

export function listState(facts: ListFacts, now: Date, staleAfterSeconds: number): ListState {
  const { lastCheck, lastImport } = facts;
  if (!lastImport || !lastCheck) return 'never';
  if (lastCheck.status === 'failed') return 'failed';
  return now.getTime() - lastCheck.checkedAt.getTime() > staleAfterSeconds * 1000 ? 'stale' : 'fresh';
}

/** What a state means for screening, in words an operator acts on; null when all is well. */
export function listStateWarning(state: ListState): string | null {
  switch (state) {
    case 'never':
      return 'No LEIE list is loaded: screenings compare people against nothing, so no result means "clear". Run POST /v1/oig/sync (or npm run dev -- --sample-data for a generated sample).';
    case 'failed':
      return 'The last LEIE check failed; screenings use the list loaded before it. See lastCheck.error.';
    case 'stale':
      return 'The LEIE list has not been checked successfully within EXCLUSION_SOURCE_STALE_AFTER; screenings use an old list.';
    case 'fresh':
      return null;
  }
}

/** Why a screening against no loaded list is `incomplete`. */
export const NO_LIST_LOADED =
  'No LEIE list is loaded: nobody was screened against it. Load the list (POST /v1/oig/sync) and screen again.';
