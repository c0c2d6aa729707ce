import { type AuditLogFilters, type AuditLogListRow, listAuditLog } from '../../../db/audit-store';
import { InvalidInputError } from '../../../domain/errors';
import { parseOptionalPeriod } from '../../../domain/period';
import { type AppDeps, createRouter } from '../../env';
import { decodeCursor, page } from '../../paging';
import { auditLogRouteDefinitions } from './routes';

function entryJson(row: AuditLogListRow) {
  return {
    id: row.id,
    at: row.at.toISOString(),
    actorUserId: row.actor_user_id,
    action: row.action,
    entityType: row.entity_type,
    entityId: row.entity_id,
    organizationId: row.organization_id,
    details: row.details,
  };
}

/** The filters of `?from=&to=&action=`; 422 naming each bad bound. */
function filtersOf(
  query: { from?: string; to?: string; action?: string },
  organizationId?: string,
): AuditLogFilters {
  const period = parseOptionalPeriod(query);
  if ('problems' in period) throw new InvalidInputError('The period is not valid.', period.problems);
  return { organizationId, start: period.start, end: period.end, action: query.action };
}

export function auditLogRoutes({ config, sequelize }: AppDeps) {
  const routes = auditLogRouteDefinitions(config.AUTH_JWT_SECRET);
  const list = async (filters: AuditLogFilters, query: { limit: number; cursor?: string }) => {
    const before = decodeCursor(query.cursor, ['timestamp', 'uuid']);
    const rows = await listAuditLog(sequelize, filters, { limit: query.limit + 1, before });
    const result = page(rows, query.limit, (row) => [row.cursor_at, row.id]);
    return { items: result.items.map(entryJson), nextCursor: result.nextCursor };
  };
  return createRouter()
    .openapi(routes.organization, async (c) => {
      const query = c.req.valid('query');
      return c.json(await list(filtersOf(query, c.var.organization.id), query), 200);
    })
    .openapi(routes.platform, async (c) => {
      const query = c.req.valid('query');
      return c.json(await list(filtersOf(query, query.organizationId), query), 200);
    });
}
