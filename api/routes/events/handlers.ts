import { randomBytes } from 'node:crypto';
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { consumeEventTicket, insertEventTicket } from '../../../db/live-event-store';
import { findOrganizationAccess, ROLE_RANK, type Role } from '../../../db/user-store';
import { isUuid } from '../../../lib/uuid';
import { LiveEventHub, liveEventStream } from '../../../services/live-events';
import { type AppDeps, type AppEnv, createRouter } from '../../env';
import { ACCOUNT_GONE, authenticate, tokenClaims, unauthorized } from '../../middleware/authenticate';
import { ProblemError } from '../../problem';
import { EVENT_TICKET_SECONDS, eventRouteDefinitions } from './routes';

const TICKET_REFUSED =
  'The event ticket is unknown, used, expired or for another stream; get a new one (POST /v1/auth/event-ticket).';

/** A Last-Event-ID is one of our ids (a decimal bigserial) or absent; anything else is refused. */
function lastEventId(c: Context): string | undefined {
  const header = c.req.header('last-event-id');
  if (header === undefined || header.trim() === '') return undefined;
  const value = header.trim();
  if (!/^\d{1,18}$/.test(value)) {
    throw new ProblemError(
      400,
      'Last-Event-ID must be the id of an event this API sent (a decimal number).',
      {
        errors: [{ path: 'Last-Event-ID', message: 'expected a decimal event id' }],
      },
    );
  }
  return value.replace(/^0+(?=\d)/, '');
}

/** The caller of a stream and their session: `?ticket=` (used up here) or the bearer token. */
async function streamCaller(
  c: Context<AppEnv>,
  secret: string,
  organizationId: string | null,
): Promise<{ userId: string; sessionId: string }> {
  const ticket = c.req.query('ticket');
  if (ticket === undefined) return tokenClaims(c, secret);
  // A ticket bound to one organization opens that organization's stream only.
  const used = await consumeEventTicket(c.var.db, ticket, organizationId);
  if (!used) throw unauthorized(TICKET_REFUSED);
  return { userId: used.user_id, sessionId: used.session_id };
}

function requireRole(orgId: string, minimum: Role, role: Role | null | undefined) {
  if (!role) throw new ProblemError(404, `Organization ${orgId} was not found.`);
  if (ROLE_RANK[role] < ROLE_RANK[minimum]) {
    throw new ProblemError(
      403,
      `This action needs the ${minimum} role in this organization; you are ${role}.`,
    );
  }
}

/** As requireOrgAccess (api/middleware/organization-access.ts), also accepting `?ticket=`. */
function organizationStreamAccess(secret: string) {
  return createMiddleware<AppEnv>(async (c, next) => {
    lastEventId(c);
    const orgId = c.req.param('orgId') ?? '';
    const { userId, sessionId } = await streamCaller(c, secret, isUuid(orgId) ? orgId : null);
    const access =
      isUuid(userId) && isUuid(sessionId)
        ? await findOrganizationAccess(c.var.db, userId, sessionId, isUuid(orgId) ? orgId : null)
        : undefined;
    if (!access) throw unauthorized(ACCOUNT_GONE);
    c.set('user', { id: userId, email: access.email, platformAdmin: access.platformAdmin, sessionId });
    requireRole(orgId, 'admin', access.organization ? (access.platformAdmin ? 'owner' : access.role) : null);
    await next();
  });
}

function platformStreamAccess(secret: string) {
  return createMiddleware<AppEnv>(async (c, next) => {
    lastEventId(c);
    const { userId, sessionId } = await streamCaller(c, secret, null);
    const access =
      isUuid(userId) && isUuid(sessionId)
        ? await findOrganizationAccess(c.var.db, userId, sessionId, null)
        : undefined;
    if (!access) throw unauthorized(ACCOUNT_GONE);
    if (!access.platformAdmin) throw new ProblemError(403, 'This stream needs a platform administrator.');
    c.set('user', { id: userId, email: access.email, platformAdmin: true, sessionId });
    await next();
  });
}

const STREAM_HEADERS = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-cache, no-transform',
  // Proxies (nginx) must pass events through as they come, not buffer the response.
  'X-Accel-Buffering': 'no',
};

export function eventRoutes(deps: AppDeps) {
  const { config, sequelize, logger } = deps;
  const secret = config.AUTH_JWT_SECRET;
  const hub = deps.liveEvents ?? new LiveEventHub({ databaseUrl: config.DATABASE_URL, sequelize, logger });
  const routes = eventRouteDefinitions({
    bearer: authenticate(secret),
    organizationStream: organizationStreamAccess(secret),
    platformStream: platformStreamAccess(secret),
  });
  const stream = (c: Context<AppEnv>, organizationId: string | undefined) =>
    c.body(
      liveEventStream(hub, sequelize, {
        organizationId,
        lastEventId: lastEventId(c),
        sessionId: c.var.user.sessionId,
        heartbeatMs: config.EVENTS_HEARTBEAT_INTERVAL * 1000,
        maxQueuedBytes: config.EVENTS_MAX_QUEUED_BYTES,
        logger: c.var.logger ?? logger,
      }),
      200,
      STREAM_HEADERS,
    );

  return createRouter()
    .openapi(routes.ticket, async (c) => {
      const { organizationId } = (c.req.valid('json') ?? {}) as { organizationId?: string };
      if (organizationId) {
        const { id, sessionId } = c.var.user;
        const access = await findOrganizationAccess(c.var.db, id, sessionId, organizationId);
        requireRole(
          organizationId,
          'admin',
          access?.organization ? (access.platformAdmin ? 'owner' : access.role) : null,
        );
      }
      const ticket = randomBytes(32).toString('base64url');
      await insertEventTicket(sequelize, {
        ticket,
        userId: c.var.user.id,
        sessionId: c.var.user.sessionId,
        organizationId: organizationId ?? null,
        expiresInSeconds: EVENT_TICKET_SECONDS,
      });
      return c.json({ ticket, expiresIn: EVENT_TICKET_SECONDS }, 200);
    })
    .openapi(routes.organizationEvents, (c) => stream(c, c.req.valid('param').orgId) as never)
    .openapi(routes.platformEvents, (c) => stream(c, undefined) as never);
}
