import type { Sequelize } from 'sequelize';
import { type MatchStatus, REVIEW_TRANSITIONS, reviewNeedsNote } from '../domain/match-review';
import { recordAudit } from './audit-store';
import type { ExclusionMatchRow } from './screening-store';
import { type Db, execute, inTransaction, query, queryOne } from './sql';

/**
 * The review of exclusion matches (docs/spec.md §10): a reviewer's move of a match along its
 * lifecycle (domain/match-review.ts), and each match's history — `exclusion_match_events`, written
 * by the triggers of db/migrations/1300-match-review-trail.ts. The screening's statements on
 * exclusion_matches live in db/screening-store.ts.
 */

export interface MatchEventRow {
  id: string;
  at: Date;
  actor_user_id: string | null;
  actor_name: string | null;
  actor_email: string | null;
  from_status: MatchStatus | null;
  to_status: MatchStatus;
  note: string | null;
  resolution: string | null;
}

/** A match's history, oldest first: its detection, then every change of status. */
export function listMatchEvents(db: Db, organizationId: string, matchId: string): Promise<MatchEventRow[]> {
  return query<MatchEventRow>(
    db,
    `SELECT ev.id, ev.at, ev.actor_user_id, u.name AS actor_name, u.email AS actor_email,
       ev.from_status, ev.to_status, ev.note, ev.resolution
     FROM exclusion_match_events ev LEFT JOIN users u ON u.id = ev.actor_user_id
     WHERE ev.organization_id = $organizationId AND ev.match_id = $matchId
     ORDER BY ev.at, ev.created_at, ev.id`,
    { organizationId, matchId },
  );
}

/**
 * What came of a review: the match is missing, the move is not one a reviewer may make from its
 * status (with the ones that are), the move needs a note, or the match is now reviewed.
 */
export type ReviewOutcome =
  | { kind: 'missing' }
  | { kind: 'not_allowed'; from: MatchStatus; allowed: readonly MatchStatus[] }
  | { kind: 'note_required'; from: MatchStatus }
  | { kind: 'reviewed' };

/**
 * Moves a match to `status` for a reviewer, with its note, under the match's row lock, and audits it
 * in the same transaction. The table's trigger records the event (at, actor, from, to, note) from
 * reviewed_by, reviewed_at and note, which only reviews write.
 */
export function recordExclusionMatchReview(
  sequelize: Sequelize,
  review: {
    organizationId: string;
    id: string;
    status: MatchStatus;
    note: string | null;
    userId: string;
  },
): Promise<ReviewOutcome> {
  const { organizationId, id, status, note, userId } = review;
  return inTransaction(sequelize, async (tx): Promise<ReviewOutcome> => {
    const current = await queryOne<Pick<ExclusionMatchRow, 'status' | 'reason'>>(
      tx,
      'SELECT status, reason FROM exclusion_matches WHERE organization_id = $orgId AND id = $id FOR UPDATE',
      { orgId: organizationId, id },
    );
    if (!current) return { kind: 'missing' };
    const allowed = REVIEW_TRANSITIONS[current.status];
    if (!allowed.includes(status)) return { kind: 'not_allowed', from: current.status, allowed };
    if (note === null && reviewNeedsNote(current.status, status)) {
      return { kind: 'note_required', from: current.status };
    }
    await execute(
      tx,
      `UPDATE exclusion_matches
          SET status = $status, note = $note, reviewed_by = $userId, reviewed_at = clock_timestamp(),
              resolution = CASE WHEN $status = 'resolved' THEN 'resolved_by_reviewer' ELSE NULL END,
              updated_at = now()
        WHERE id = $id`,
      { id, status, note, userId },
    );
    await recordAudit(tx, {
      actorUserId: userId,
      action: `exclusion_match.${status}`,
      entityType: 'exclusion_match',
      entityId: id,
      organizationId,
      // The note is free text and may name people: it stays on the match, not in the audit log.
      details: {
        previousStatus: current.status,
        status,
        reason: current.reason,
        withNote: Boolean(note),
      },
    });
    return { kind: 'reviewed' };
  });
}
