import { searchAllExclusions } from '../../../db/exclusion-source-store';
import {
  listSourceCheckPage,
  readAllSourceStatuses,
  readSourceStatus,
  requestSourceSync,
} from '../../../services/exclusion-sources';
import { accepted, acceptedBody } from '../../accepted';
import { type AppDeps, createRouter } from '../../env';
import { decodeCursor, page } from '../../paging';
import { exclusionSourceRouteDefinitions } from './routes';

export function exclusionSourceRoutes({ config, sequelize, temporal, logger }: AppDeps) {
  const routes = exclusionSourceRouteDefinitions(config.AUTH_JWT_SECRET);
  const deps = { config, sequelize, temporal, logger };
  return createRouter()
    .openapi(routes.list, async (c) =>
      c.json({ items: await readAllSourceStatuses(deps), nextCursor: null }, 200),
    )
    .openapi(routes.one, async (c) =>
      c.json(await readSourceStatus(deps, c.req.valid('param').sourceId), 200),
    )
    .openapi(routes.checks, async (c) => {
      const { sourceId } = c.req.valid('param');
      const { limit, cursor } = c.req.valid('query');
      const after = decodeCursor(cursor, ['timestamp', 'uuid']);
      const rows = await listSourceCheckPage(deps, sourceId, limit + 1, after);
      return c.json(
        page(rows, limit, (row) => [row.checkedAt, row.id]),
        200,
      );
    })
    .openapi(routes.sync, async (c) => {
      const { sourceId } = c.req.valid('param');
      // The body is optional: a bare POST is a sync without force.
      const force = (c.req.header('content-type') ? c.req.valid('json')?.force : undefined) ?? false;
      const started = await requestSourceSync(deps, { sourceId, force, actorUserId: c.var.user.id });
      return accepted(
        c,
        acceptedBody(
          config,
          {
            sourceId: started.sourceId,
            trigger: 'manual' as const,
            force,
            alreadyRunning: started.alreadyRunning,
            runId: started.runId,
          },
          started.workflowId,
          `/v1/exclusion-sources/${started.sourceId}`,
        ),
      );
    })
    .openapi(routes.search, async (c) => {
      const { q, npi, state, source, limit, cursor } = c.req.valid('query');
      const after = decodeCursor(cursor, ['text', 'text', 'uuid']);
      const sources = source ? [source] : config.EXCLUSION_SOURCES;
      const rows = await searchAllExclusions(sequelize, { q, npi, state, sources }, limit + 1, after);
      const result = page(rows, limit, (row) => [row.sort_name, row.source, row.id]);
      const items = result.items.map((row) => ({
        source: row.source,
        exclusionKey: row.exclusion_key,
        entityKind: row.entity_kind,
        firstName: row.first_name,
        middleName: row.middle_name,
        lastName: row.last_name,
        businessName: row.business_name,
        aliases: row.aliases,
        npi: row.npi,
        dob: row.dob,
        state: row.state,
        exclusionType: row.exclusion_type,
        startsOn: row.starts_on,
        endsOn: row.ends_on,
      }));
      return c.json({ items, nextCursor: result.nextCursor }, 200);
    });
}
