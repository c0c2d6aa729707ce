import { createHash } from 'node:crypto';
import pg from 'pg';
import { type Db, execute, query, queryOne } from './sql';

/**
 * `live_events` and `event_tickets` (docs/spec.md §12, live events). The events themselves are
 * written by the triggers of db/migrations/1600-live-events.ts in the transaction of the change they
 * announce; `publishLiveEvent` is the same publisher for a change no trigger sees.
 */
export const LIVE_EVENTS_CHANNEL = 'ale_live_events';

/** What the org stream sends; the platform stream adds `source.check`. */
export const ORGANIZATION_EVENT_TYPES = [
  'import.progress',
  'import.finished',
  'match.opened',
  'match.updated',
  'organization.updated',
  'invitation.updated',
] as const;
export const PLATFORM_EVENT_TYPES = [...ORGANIZATION_EVENT_TYPES, 'source.check'] as const;
export type LiveEventType = (typeof PLATFORM_EVENT_TYPES)[number];

export interface LiveEvent {
  /** bigserial, as a decimal string (it outgrows a JS number's exact range only in theory). */
  id: string;
  type: LiveEventType;
  organizationId: string | null;
  /** Ids and enums only: never names, dates of birth or emails. */
  data: Record<string, unknown>;
}

interface LiveEventRow {
  id: string;
  type: LiveEventType;
  organization_id: string | null;
  data: Record<string, unknown>;
}

const toEvent = (row: LiveEventRow): LiveEvent => ({
  id: row.id,
  type: row.type,
  organizationId: row.organization_id,
  data: row.data,
});

/** Publishes one event in `db`'s transaction (delivered when it commits). */
export async function publishLiveEvent(
  db: Db,
  event: { type: LiveEventType; organizationId: string | null; subjectId: string | null; data: object },
): Promise<string> {
  const row = await queryOne<{ id: string }>(
    db,
    'SELECT publish_live_event($type, $organizationId, $subjectId, $data::jsonb)::text AS id',
    { ...event, data: JSON.stringify(event.data) },
  );
  return (row as { id: string }).id;
}

/**
 * Events after `afterId`, oldest first, at most `limit`; `organizationId` undefined reads every
 * organization's and the platform's. Ids commit in order (see the migration), so reading after the
 * last id seen never skips one that commits later.
 */
export async function liveEventsAfter(
  db: Db,
  afterId: string,
  options: { organizationId?: string; limit: number },
): Promise<LiveEvent[]> {
  // Ordered by the bigint column: the text alias `id` would sort '10' before '9'.
  const rows =
    options.organizationId === undefined
      ? await query<LiveEventRow>(
          db,
          'SELECT id::text, type, organization_id, data FROM live_events WHERE id > $afterId::bigint ORDER BY live_events.id LIMIT $limit',
          { afterId, limit: options.limit },
          { prepare: true },
        )
      : await query<LiveEventRow>(
          db,
          `SELECT id::text, type, organization_id, data FROM live_events
           WHERE organization_id = $organizationId AND id > $afterId::bigint ORDER BY live_events.id LIMIT $limit`,
          { afterId, organizationId: options.organizationId, limit: options.limit },
          { prepare: true },
        );
  return rows.map(toEvent);
}

/** The newest event id ('0' when there is none): where a stream without Last-Event-ID starts. */
export async function latestLiveEventId(db: Db): Promise<string> {
  const row = await queryOne<{ id: string }>(db, 'SELECT coalesce(max(id), 0)::text AS id FROM live_events');
  return row?.id ?? '0';
}

/** Events are kept 24 h (docs/spec.md §12), tickets until they expire. */
export async function deleteExpiredLiveEvents(db: Db): Promise<number> {
  const events = await execute(db, "DELETE FROM live_events WHERE created_at < now() - interval '24 hours'");
  await execute(db, 'DELETE FROM event_tickets WHERE expires_at < now()');
  return events;
}

const ticketHash = (ticket: string) => createHash('sha256').update(ticket).digest('hex');

/** Stores a ticket (by its hash only) for a user's session, optionally bound to one organization. */
export async function insertEventTicket(
  db: Db,
  ticket: {
    ticket: string;
    userId: string;
    sessionId: string;
    organizationId: string | null;
    expiresInSeconds: number;
  },
): Promise<void> {
  await execute(
    db,
    `INSERT INTO event_tickets (ticket_hash, user_id, session_id, organization_id, expires_at)
     VALUES ($hash, $userId, $sessionId, $organizationId, now() + make_interval(secs => $seconds))`,
    {
      hash: ticketHash(ticket.ticket),
      userId: ticket.userId,
      sessionId: ticket.sessionId,
      organizationId: ticket.organizationId,
      seconds: ticket.expiresInSeconds,
    },
  );
}

/**
 * Uses a ticket up: its user and organization when it was unused, unexpired and valid for the stream,
 * undefined otherwise.
 * One statement, so two replicas handed the same ticket cannot both accept it.
 */
export function consumeEventTicket(
  db: Db,
  ticket: string,
  /** The stream's organization, null for the platform stream: a ticket bound elsewhere stays unused. */
  organizationId: string | null,
): Promise<{ user_id: string; session_id: string; organization_id: string | null } | undefined> {
  return queryOne(
    db,
    `UPDATE event_tickets SET used_at = now()
     WHERE ticket_hash = $hash AND used_at IS NULL AND expires_at > now()
       AND (organization_id IS NULL OR organization_id = $organizationId::uuid)
     RETURNING user_id, session_id, organization_id`,
    { hash: ticketHash(ticket), organizationId },
  );
}

/** A connection that LISTENs for committed events; `end` closes it. */
export interface LiveEventListener {
  end(): Promise<void>;
}

/**
 * A connection of its own (a pooled one would be handed to others while it listens) that calls
 * `onNotification` for every committed event and `onError` when it breaks.
 */
export async function listenForLiveEvents(
  databaseUrl: string,
  handlers: { onNotification: () => void; onError: (error: Error) => void },
): Promise<LiveEventListener> {
  const connection = new pg.Client({ connectionString: databaseUrl });
  connection.on('notification', handlers.onNotification);
  connection.on('error', handlers.onError);
  try {
    await connection.connect();
    await connection.query(`LISTEN ${LIVE_EVENTS_CHANNEL}`);
  } catch (error) {
    await connection.end().catch(() => {});
    throw error;
  }
  return connection;
}
