/**
 * The review lifecycle of an exclusion match (docs/spec.md §10): which status a reviewer may move a
 * match to from which, and when a note is required. Pure rules; the store applies them under a row lock.
 */

export const MATCH_STATUSES = ['open', 'under_review', 'confirmed', 'dismissed', 'resolved'] as const;
export type MatchStatus = (typeof MATCH_STATUSES)[number];

/** Statuses that end a review; moving a match out of one is a reopening. */
export const CLOSED_STATUSES: readonly MatchStatus[] = ['confirmed', 'dismissed', 'resolved'];

/** The longest note a reviewer may write (characters). */
export const NOTE_MAX_LENGTH = 4000;

/**
 * Where a reviewer may take a match from each status. `resolved` is otherwise the screening's own
 * (the record left the list, was reinstated, or the person no longer matches); a reviewer resolves
 * only a confirmed match (the person left, the exclusion was dealt with). Closed matches go back to
 * `open` only, with a note.
 */
export const REVIEW_TRANSITIONS: Record<MatchStatus, readonly MatchStatus[]> = {
  open: ['under_review', 'confirmed', 'dismissed'],
  under_review: ['open', 'confirmed', 'dismissed'],
  confirmed: ['open', 'resolved'],
  dismissed: ['open'],
  resolved: ['open'],
};

/** Whether moving from `from` to `to` needs a non-empty note: a decision, a resolution or a reopening. */
export function reviewNeedsNote(from: MatchStatus, to: MatchStatus): boolean {
  return to === 'confirmed' || to === 'dismissed' || to === 'resolved' || CLOSED_STATUSES.includes(from);
}

/** The note as stored: trimmed, null when blank. */
export function normalizeReviewNote(note: string | null | undefined): string | null {
  const trimmed = note?.trim() ?? '';
  return trimmed === '' ? null : trimmed;
}
