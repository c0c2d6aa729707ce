import type { z } from '@hono/zod-openapi';
import { listChecks, type OigCheckRow, searchExclusions } from '../../../db/exclusion-list-store';
import { openRetryingAlert } from '../../../db/work-alert-store';
import { listStateWarning } from '../../../domain/list-state';
import { readOigStatus, requestSourceSync, sourceCheck } from '../../../services/exclusion-sources';
import { accepted, acceptedBody } from '../../accepted';
import { type AppDeps, createRouter } from '../../env';
import { decodeCursor, page } from '../../paging';
import { LEIE_FIELDS, type OigCheckSchema, type OigExclusionSchema, oigRouteDefinitions } from './routes';

/** A check as `/v1/oig/*` show it: the LEIE's check of `/v1/exclusion-sources/leie/checks`, without its source. */
function checkJson(row: OigCheckRow): z.infer<typeof OigCheckSchema> {
  const { source: _source, rejectedRows: _rejectedRows, ...check } = sourceCheck(row);
  return check;
}

export function oigRoutes({ config, sequelize, temporal, logger }: AppDeps) {
  const routes = oigRouteDefinitions(config.AUTH_JWT_SECRET);
  return createRouter()
    .openapi(routes.status, async (c) => {
      const [status, retrying] = await Promise.all([
        readOigStatus({ config, sequelize, temporal, logger }),
        openRetryingAlert(sequelize, 'oig-sync'),
      ]);
      const { lastCheck, lastImport, nextScheduledRunAt } = status;
      return c.json(
        {
          state: status.state,
          warning: listStateWarning(status.state),
          sample: config.SAMPLE_DATA,
          lastCheck: lastCheck ? checkJson(lastCheck) : null,
          lastImport: lastImport
            ? {
                checkId: lastImport.id,
                checkedAt: new Date(lastImport.checked_at).toISOString(),
                sourceUpdatedOn: lastImport.source_updated_on,
                rowCount: lastImport.row_count,
                sha256: lastImport.sha256,
                archiveKey: lastImport.archive_key,
              }
            : null,
          rowCount: status.rowCount,
          nextScheduledRunAt: nextScheduledRunAt ? nextScheduledRunAt.toISOString() : null,
          schedule: status.schedule,
          retrying: retrying
            ? {
                workflowId: retrying.workflow_id,
                reason: retrying.reason,
                since: retrying.since.toISOString(),
              }
            : null,
        },
        200,
      );
    })
    .openapi(routes.checks, async (c) => {
      const { limit, cursor } = c.req.valid('query');
      const after = decodeCursor(cursor, ['timestamp', 'uuid']);
      const rows = await listChecks(sequelize, limit + 1, after);
      const result = page(rows.map(checkJson), limit, (row) => [row.checkedAt, row.id]);
      return c.json(result, 200);
    })
    .openapi(routes.sync, async (c) => {
      // The body is optional: a bare POST is a sync without force.
      const force = (c.req.header('content-type') ? c.req.valid('json')?.force : undefined) ?? false;
      // `/v1/oig/*` are the LEIE's view of the exclusion sources (docs/spec.md §8).
      const { workflowId, runId, alreadyRunning } = await requestSourceSync(
        { config, sequelize, temporal, logger },
        { sourceId: 'leie', force, actorUserId: c.var.user.id, anyway: true },
      );
      return accepted(
        c,
        acceptedBody(
          config,
          { trigger: 'manual' as const, force, alreadyRunning, runId },
          workflowId,
          '/v1/oig/status',
        ),
      );
    })
    .openapi(routes.exclusions, async (c) => {
      const { q, npi, state, limit, cursor } = c.req.valid('query');
      const after = decodeCursor(cursor, ['text', 'uuid']);
      const rows = await searchExclusions(sequelize, { q, npi, state }, limit + 1, after);
      const result = page(rows, limit, (row) => [row.sort_name, row.id]);
      const items = result.items.map(
        (row) =>
          ({
            exclusionKey: row.exclusion_key,
            ...Object.fromEntries(LEIE_FIELDS.map((field) => [field, row[field as keyof typeof row]])),
          }) as z.infer<typeof OigExclusionSchema>,
      );
      return c.json({ items, nextCursor: result.nextCursor }, 200);
    });
}
