import type { Sequelize } from 'sequelize';
import {
  deleteExpiredLiveEvents,
  type LiveEvent,
  type LiveEventListener,
  latestLiveEventId,
  listenForLiveEvents,
  liveEventsAfter,
} from '../db/live-event-store';
import { openSessionIds } from '../db/session-store';
import type { Logger } from '../lib/logger';

/**
 * Live events on one API replica (docs/spec.md §12): one LISTEN connection per process, opened
 * with the first subscriber and closed with the last. A notification (an event id, never PHI) wakes
 * one read of the rows after the replica's cursor, fanned out to the streams whose filter they
 * match; a slow poll is the safety net for a notification lost while the connection was down.
 * Every replica reads every committed event, so a client on any replica sees every event. Each
 * stream belongs to a session: once a second the replica asks which of its streams' sessions are
 * still open, and ends the streams of the others (docs/spec.md §11: a logout or a revoked session
 * stops its tokens at once — a stream opened before is no exception).
 */
export interface LiveEventHubOptions {
  databaseUrl: string;
  sequelize: Sequelize;
  logger: Logger;
  /** How often to read without a notification (a LISTEN connection that dropped). */
  pollIntervalMs?: number;
}

/** How a subscriber is ended: on shutdown (closeAll), or when its session is no longer open. */
export interface Subscription {
  end?: () => void;
  /** The session the stream was opened with; its end ends the stream. */
  sessionId?: string;
}

type Listener = (event: LiveEvent) => void;

const PAGE = 500;
const RETENTION_EVERY_MS = 10 * 60_000;
const SESSION_CHECK_EVERY_MS = 1000;

export class LiveEventHub {
  private readonly listeners = new Set<Listener>();
  /** How each stream is ended, and its session. */
  private readonly subscriptions = new Map<Listener, Subscription>();
  private connection: LiveEventListener | undefined;
  private starting: Promise<void> | undefined;
  private cursor = '0';
  private reading: Promise<void> | undefined;
  private readAgain = false;
  private timers: NodeJS.Timeout[] = [];

  constructor(private readonly options: LiveEventHubOptions) {}

  /** Adds a listener of every event committed from now on; resolves once the replica listens. */
  async subscribe(listener: Listener, subscription: Subscription = {}): Promise<() => void> {
    this.listeners.add(listener);
    this.subscriptions.set(listener, subscription);
    try {
      await this.start();
    } catch (error) {
      this.listeners.delete(listener);
      this.subscriptions.delete(listener);
      throw error;
    }
    return () => {
      this.listeners.delete(listener);
      this.subscriptions.delete(listener);
      if (this.listeners.size === 0) void this.stop();
    };
  }

  /**
   * Ends every stream (their clients reconnect, with Last-Event-ID, to another replica) and the
   * LISTEN connection: on shutdown, since a server waiting for its streams to end would never stop.
   */
  async closeAll(): Promise<void> {
    for (const { end } of [...this.subscriptions.values()]) end?.();
    await this.stop();
  }

  /** Ends the streams whose session was ended (logout, revocation) since they opened. */
  private async endClosedSessions() {
    const sessions = new Set<string>();
    for (const { sessionId } of this.subscriptions.values()) if (sessionId) sessions.add(sessionId);
    if (sessions.size === 0) return;
    try {
      const open = await openSessionIds(this.options.sequelize, [...sessions]);
      // Streams opened while the query ran were not asked about: the next check asks.
      for (const { sessionId, end } of [...this.subscriptions.values()]) {
        if (sessionId && sessions.has(sessionId) && !open.has(sessionId)) end?.();
      }
    } catch (error) {
      this.options.logger.warn({ err: error }, 'live events: could not check the streams’ sessions');
    }
  }

  get subscriberCount() {
    return this.listeners.size;
  }

  private start(): Promise<void> {
    this.starting ??= this.connect().catch((error) => {
      this.starting = undefined;
      throw error;
    });
    return this.starting;
  }

  private async connect() {
    const { sequelize, logger } = this.options;
    // Declared first: an error may come before the connection is handed back.
    let connection: LiveEventListener | undefined;
    connection = await listenForLiveEvents(this.options.databaseUrl, {
      onNotification: () => this.read(),
      onError: (error) => {
        // The poll keeps streams fed; the next subscriber after the last one left reconnects.
        logger.warn({ err: error }, 'live events: the LISTEN connection failed; polling until it is back');
        if (connection && this.connection === connection) this.reconnectSoon();
      },
    });
    this.connection = connection;
    this.cursor = await latestLiveEventId(sequelize);
    const poll = setInterval(() => this.read(), this.options.pollIntervalMs ?? 5000);
    const retention = setInterval(() => {
      deleteExpiredLiveEvents(sequelize).catch((error) =>
        logger.warn({ err: error }, 'live events: could not delete expired events'),
      );
    }, RETENTION_EVERY_MS);
    const sessions = setInterval(() => this.endClosedSessions(), SESSION_CHECK_EVERY_MS);
    poll.unref();
    retention.unref();
    sessions.unref();
    this.timers = [poll, retention, sessions];
    await deleteExpiredLiveEvents(sequelize).catch(() => {});
  }

  private reconnectSoon() {
    const old = this.connection;
    this.connection = undefined;
    old?.end().catch(() => {});
    const retry = setTimeout(async () => {
      if (this.listeners.size === 0) return;
      try {
        let connection: LiveEventListener | undefined;
        connection = await listenForLiveEvents(this.options.databaseUrl, {
          onNotification: () => this.read(),
          onError: () => {
            if (connection && this.connection === connection) this.reconnectSoon();
          },
        });
        this.connection = connection;
        this.read();
      } catch {
        this.reconnectSoon();
      }
    }, 1000);
    retry.unref();
    this.timers.push(retry);
  }

  private async stop() {
    const starting = this.starting;
    if (!starting) return;
    await starting.catch(() => {});
    if (this.listeners.size > 0 || this.starting !== starting) return;
    this.starting = undefined;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers = [];
    const connection = this.connection;
    this.connection = undefined;
    await connection?.end().catch(() => {});
  }

  /** Reads everything after the cursor; notifications arriving meanwhile coalesce into one more read. */
  private read() {
    if (this.reading) {
      this.readAgain = true;
      return;
    }
    this.reading = (async () => {
      do {
        this.readAgain = false;
        try {
          let page: LiveEvent[];
          do {
            page = await liveEventsAfter(this.options.sequelize, this.cursor, { limit: PAGE });
            for (const event of page) {
              this.cursor = event.id;
              for (const listener of this.listeners) listener(event);
            }
          } while (page.length === PAGE);
        } catch (error) {
          this.options.logger.warn({ err: error }, 'live events: read failed; the next poll retries');
        }
      } while (this.readAgain);
    })().finally(() => {
      this.reading = undefined;
    });
  }
}

export interface LiveEventStreamOptions {
  /** Only this organization's events; undefined for every event (platform admins). */
  organizationId?: string;
  /**
   * Resume after this id (Last-Event-ID); undefined — or an id past the newest event (one of
   * another database) — starts with the events after now.
   */
  lastEventId?: string;
  /** The session the stream is opened with: the stream ends when it does. */
  sessionId?: string;
  heartbeatMs: number;
  /** A client this many bytes behind is dropped (it reconnects and resumes with Last-Event-ID). */
  maxQueuedBytes: number;
  logger: Logger;
}

const encoder = new TextEncoder();

/** One `text/event-stream` body: the events after Last-Event-ID from the table, then live ones. */
export function liveEventStream(hub: LiveEventHub, sequelize: Sequelize, options: LiveEventStreamOptions) {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let unsubscribe: (() => void) | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  let closed = false;
  let catchingUp = true;
  let lastSent = 0n;
  // Live events that arrive while the table is read; bounded like the stream's queue.
  let pending: LiveEvent[] = [];
  let pendingBytes = 0;

  const close = () => {
    closed = true;
    clearInterval(heartbeat);
    unsubscribe?.();
    pending = [];
  };
  const drop = (reason: string) => {
    if (closed) return;
    options.logger.info({ organizationId: options.organizationId }, `live events: ${reason}`);
    close();
    controller.error(new Error(reason));
  };
  const enqueue = (chunk: string) => {
    if (closed) return;
    controller.enqueue(encoder.encode(chunk));
    // Never buffered without bound: the client reconnects and resumes with Last-Event-ID.
    if ((controller.desiredSize ?? 0) < -options.maxQueuedBytes) drop('a slow client was dropped');
  };
  const send = (event: LiveEvent) => {
    const id = BigInt(event.id);
    if (id <= lastSent) return;
    lastSent = id;
    enqueue(`id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`);
  };
  const matches = (event: LiveEvent) =>
    options.organizationId === undefined || event.organizationId === options.organizationId;

  return new ReadableStream<Uint8Array>(
    {
      async start(streamController) {
        controller = streamController;
        // Listening before reading the table: an event committed in between is in one or both,
        // and `send` skips what was already sent.
        unsubscribe = await hub.subscribe(
          (event) => {
            if (closed || !matches(event)) return;
            if (!catchingUp) return send(event);
            pending.push(event);
            pendingBytes += JSON.stringify(event.data).length + 64;
            if (pendingBytes > options.maxQueuedBytes) drop('a client catching up fell too far behind');
          },
          {
            sessionId: options.sessionId,
            end: () => {
              if (closed) return;
              close();
              controller.close();
            },
          },
        );
        const newest = BigInt(await latestLiveEventId(sequelize));
        const resumeAfter = options.lastEventId === undefined ? newest : BigInt(options.lastEventId);
        lastSent = resumeAfter > newest ? newest : resumeAfter;
        // Sent at once so the client sees the headers; `retry` paces EventSource's reconnects.
        enqueue(': connected\nretry: 2000\n\n');
        heartbeat = setInterval(() => enqueue(': heartbeat\n\n'), options.heartbeatMs);
      },
      // Catching up from the table is paced by the client: a page per pull, when its queue has room.
      async pull() {
        if (!catchingUp || closed) return;
        const page = await liveEventsAfter(sequelize, lastSent.toString(), {
          organizationId: options.organizationId,
          limit: PAGE,
        });
        for (const event of page) send(event);
        if (page.length < PAGE) {
          catchingUp = false;
          const live = pending;
          pending = [];
          for (const event of live) send(event);
        }
      },
      cancel() {
        close();
      },
    },
    { highWaterMark: 64 * 1024, size: (chunk) => chunk.byteLength },
  );
}
