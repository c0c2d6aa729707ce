import { createRoute, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { ORGANIZATION_EVENT_TYPES, PLATFORM_EVENT_TYPES } from '../../../db/live-event-store';
import type { AppEnv } from '../../env';
import { bearerAuth, jsonResponse, problems, UuidParam } from '../../schemas';

export const EVENT_TICKET_SECONDS = 60;

const TicketRequestSchema = z
  .object({
    organizationId: z.uuid().optional().openapi({
      description:
        'Bind the ticket to this organization’s stream (the caller must be an admin there); without it the ticket opens any stream the caller may read.',
    }),
  })
  .openapi('EventTicketRequest');

const TicketSchema = z
  .object({
    ticket: z.string(),
    expiresIn: z.number().int().openapi({ example: EVENT_TICKET_SECONDS }),
  })
  .openapi('EventTicket');

const StreamQuery = z.object({
  ticket: z.string().max(200).optional().openapi({
    description:
      'A ticket from POST /v1/auth/event-ticket, for clients that cannot send headers (EventSource). Single use, 60 s.',
  }),
});

const StreamHeaders = z.object({
  'last-event-id': z.string().optional().openapi({
    description:
      'Resume after this event id (EventSource sends it on reconnect). Not a decimal event id: 400.',
  }),
});

const eventStream = (types: readonly string[]) => ({
  description: `A text/event-stream of ${types.join(', ')}. Each event has an \`id\` (resume with Last-Event-ID within 24 h), an \`event\` type and JSON \`data\` holding ids and statuses (never names). Comment lines (": heartbeat") keep idle connections open. The response does not end while the client listens.`,
  content: { 'text/event-stream': { schema: z.string() } },
});

/** The live event routes: the contract their handlers (handlers.ts) implement (docs/spec.md §12). */
export function eventRouteDefinitions(access: {
  bearer: MiddlewareHandler<AppEnv>;
  organizationStream: MiddlewareHandler<AppEnv>;
  platformStream: MiddlewareHandler<AppEnv>;
}) {
  return {
    ticket: createRoute({
      method: 'post',
      path: '/v1/auth/event-ticket',
      tags: ['events'],
      summary: 'A single-use 60 s ticket for an event stream (?ticket=), for EventSource',
      security: bearerAuth,
      middleware: [access.bearer] as const,
      request: {
        body: {
          required: false,
          content: { 'application/json': { schema: TicketRequestSchema } },
        },
      },
      responses: {
        200: jsonResponse(TicketSchema, 'The ticket'),
        401: problems[401],
        403: problems[403],
        404: problems[404],
        422: problems[422],
      },
    }),
    organizationEvents: createRoute({
      method: 'get',
      path: '/v1/organizations/{orgId}/events',
      tags: ['events'],
      summary: "The organization's live events (Server-Sent Events)",
      security: bearerAuth,
      middleware: [access.organizationStream] as const,
      request: { params: z.object({ orgId: UuidParam }), query: StreamQuery, headers: StreamHeaders },
      responses: {
        200: eventStream(ORGANIZATION_EVENT_TYPES),
        400: problems[400],
        401: problems[401],
        403: problems[403],
        404: problems[404],
        422: problems[422],
      },
    }),
    platformEvents: createRoute({
      method: 'get',
      path: '/v1/events',
      tags: ['events'],
      summary: "Every organization's live events and exclusion-source checks (platform admins)",
      security: bearerAuth,
      middleware: [access.platformStream] as const,
      request: { query: StreamQuery, headers: StreamHeaders },
      responses: {
        200: eventStream(PLATFORM_EVENT_TYPES),
        400: problems[400],
        401: problems[401],
        403: problems[403],
        422: problems[422],
      },
    }),
  };
}
