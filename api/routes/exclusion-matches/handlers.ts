import type { z } from '@hono/zod-openapi';
import { findLastImport } from '../../../db/exclusion-list-store';
import type { MatchEventRow } from '../../../db/match-review-store';
import { findScreeningRun, lastSucceededRun, type ScreeningRunRow } from '../../../db/screening-run-store';
import { type ExclusionMatchView, listExclusionMatches } from '../../../db/screening-store';
import { openWorkAlert, type WorkAlertRow } from '../../../db/work-alert-store';
import { NotFoundError } from '../../../domain/errors';
import { NO_LIST_LOADED } from '../../../domain/list-state';
import { temporalUiLink } from '../../../lib/temporal';
import { exclusionMatchesCsv } from '../../../services/csv-exports';
import {
  exclusionMatchWithHistory,
  reviewExclusionMatch,
  startOrganizationScreening,
} from '../../../services/screenings';
import { accepted, acceptedBody } from '../../accepted';
import { csvDownload } from '../../csv-download';
import { type AppDeps, createRouter } from '../../env';
import { decodeCursor, page } from '../../paging';
import { exclusionMatchRouteDefinitions, type LeieRowSchema } from './routes';

const iso = (value: Date | null) => (value ? value.toISOString() : null);

function serialize(row: ExclusionMatchView) {
  const exclusion = row.x as z.infer<typeof LeieRowSchema> | null;
  return {
    id: row.id,
    organizationId: row.organization_id,
    employeeId: row.employee_id,
    source: row.source,
    exclusionKey: row.exclusion_key,
    reason: row.reason,
    score: Number(row.score),
    explanation: row.explanation,
    status: row.status,
    resolution: row.resolution,
    firstDetectedAt: row.first_detected_at.toISOString(),
    lastSeenAt: row.last_seen_at.toISOString(),
    reviewedBy: row.reviewed_by,
    reviewedAt: iso(row.reviewed_at),
    note: row.note,
    alertedAt: iso(row.alerted_at),
    employee: {
      id: row.employee_id,
      kind: row.e_kind,
      externalId: row.e_external_id,
      firstName: row.e_first_name,
      middleName: row.e_middle_name,
      lastName: row.e_last_name,
      dateOfBirth: row.e_date_of_birth,
      npi: row.e_npi,
      status: row.e_status,
    },
    exclusion,
    record: row.r,
    waiver:
      exclusion && (exclusion.waiverdate || exclusion.wvrstate)
        ? { date: exclusion.waiverdate, state: exclusion.wvrstate }
        : null,
  };
}

function withHistory(row: ExclusionMatchView & { history: MatchEventRow[] }) {
  return {
    ...serialize(row),
    history: row.history.map((event) => ({
      at: event.at.toISOString(),
      actor: event.actor_user_id
        ? { userId: event.actor_user_id, name: event.actor_name, email: event.actor_email }
        : null,
      from: event.from_status,
      to: event.to_status,
      note: event.note,
      resolution: event.resolution,
    })),
  };
}

const screeningPath = (organizationId: string, id: string) =>
  `/v1/organizations/${organizationId}/exclusion-screenings/${id}`;

function screeningJson(
  config: AppDeps['config'],
  organizationId: string,
  row: ScreeningRunRow,
  alert: WorkAlertRow | undefined,
) {
  return {
    id: row.id,
    organizationId,
    trigger: row.trigger,
    status: row.status,
    peopleScreened: row.people_screened,
    listVersions: Object.entries(row.list_versions).map(([source, checkId]) => ({ source, checkId })),
    matchesOpened: row.matches_opened,
    matchesResolved: row.matches_resolved,
    error: row.error,
    alert: alert ? { state: alert.state, reason: alert.reason, since: alert.since.toISOString() } : null,
    workflowId: row.workflow_id,
    startedAt: row.started_at.toISOString(),
    finishedAt: iso(row.finished_at),
    links: {
      self: screeningPath(organizationId, row.id),
      temporalUi: temporalUiLink(config, row.workflow_id),
    },
  };
}

/** Whether an empty match list means "clear" (docs/spec.md §8: empty is not clear). */
async function screeningSummary(sequelize: AppDeps['sequelize'], organizationId: string) {
  const [run, list] = await Promise.all([
    lastSucceededRun(sequelize, organizationId),
    findLastImport(sequelize),
  ]);
  return {
    status: run ? ('screened' as const) : ('not_screened' as const),
    reason: run
      ? null
      : list
        ? 'No screening of this organization against the loaded LEIE list has finished yet.'
        : NO_LIST_LOADED,
    lastScreeningId: run?.id ?? null,
    lastScreenedAt: iso(run?.finished_at ?? null),
  };
}

export function exclusionMatchRoutes({ config, sequelize, temporal }: AppDeps) {
  const routes = exclusionMatchRouteDefinitions(config.AUTH_JWT_SECRET);

  /** One screening run as the API shows it, with its open alert. */
  async function screeningRun(organizationId: string, id: string) {
    const run = await findScreeningRun(sequelize, organizationId, id);
    if (!run) throw new NotFoundError(`Exclusion screening ${id} was not found.`);
    // A requested run (its start still in the outbox) has no execution, so no alert yet.
    const alert = run.workflow_run_id
      ? await openWorkAlert(sequelize, run.workflow_id, run.workflow_run_id)
      : undefined;
    return screeningJson(config, organizationId, run, alert);
  }

  return createRouter()
    .openapi(routes.list, async (c) => {
      const { limit, cursor, status } = c.req.valid('query');
      // The cursor keeps first_detected_at as Postgres text, so microseconds survive the round trip.
      const before = decodeCursor(cursor, ['timestamp', 'uuid']);
      const rows = await listExclusionMatches(sequelize, c.var.organization.id, {
        status,
        before,
        limit: limit + 1,
      });
      const { items, nextCursor } = page(rows, limit, (row) => [row.cursor_at, row.id]);
      const screening = await screeningSummary(sequelize, c.var.organization.id);
      return c.json({ items: items.map(serialize), nextCursor, screening }, 200);
    })
    .openapi(routes.exportCsv, (c) => {
      const organizationId = c.var.organization.id;
      const stream = exclusionMatchesCsv(sequelize, organizationId, c.req.valid('query').status);
      return csvDownload(c, stream, `exclusion-matches-${organizationId}.csv`);
    })
    .openapi(routes.get, async (c) => {
      const { id } = c.req.valid('param');
      return c.json(withHistory(await exclusionMatchWithHistory(sequelize, c.var.organization.id, id)), 200);
    })
    .openapi(routes.review, async (c) => {
      const { id } = c.req.valid('param');
      const { status, note } = c.req.valid('json');
      const match = await reviewExclusionMatch(sequelize, {
        organizationId: c.var.organization.id,
        id,
        status,
        note: note ?? null,
        userId: c.var.user.id,
      });
      return c.json(withHistory(match), 200);
    })
    .openapi(routes.rescreen, async (c) => {
      const organizationId = c.var.organization.id;
      const { workflowId, screeningId } = await startOrganizationScreening(
        { temporal, config, sequelize, logger: c.var.logger },
        organizationId,
      );
      // docs/spec.md §5: the answer carries the run as GET shows it (the one requested, or the one joined).
      const run = await screeningRun(organizationId, screeningId);
      return accepted(
        c,
        acceptedBody(
          config,
          { ...run, kind: 'organization' as const },
          workflowId,
          screeningPath(organizationId, screeningId),
        ),
      );
    })
    .openapi(routes.screening, async (c) =>
      c.json(await screeningRun(c.var.organization.id, c.req.valid('param').id), 200),
    );
}
