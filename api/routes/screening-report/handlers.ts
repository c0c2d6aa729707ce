import type { Context } from 'hono';
import { InvalidInputError } from '../../../domain/errors';
import { parseReportPeriod } from '../../../domain/period';
import {
  loadReportHeader,
  REPORT_MAX_MONTHS,
  reportPeople,
  screeningReportCsv,
  screeningReportJson,
} from '../../../services/screening-report';
import { screeningReportPdf } from '../../../services/screening-report-pdf';
import { type AppDeps, createRouter } from '../../env';
import type { OrgEnv } from '../../middleware/organization-access';
import { screeningReportRouteDefinitions } from './routes';

export function screeningReportRoutes({ config, sequelize }: AppDeps) {
  const routes = screeningReportRouteDefinitions(config.AUTH_JWT_SECRET);

  /** The period asked for (422 naming the field), the report's header and its people's pages. */
  async function prepare(c: Context<OrgEnv>, query: { from?: string; to?: string }) {
    const period = parseReportPeriod(query, new Date(), REPORT_MAX_MONTHS);
    if ('problems' in period) throw new InvalidInputError('The report period is not valid.', period.problems);
    const organization = c.var.organization;
    const header = await loadReportHeader(sequelize, organization, period, config.EXCLUSION_SOURCES);
    const filename = `screening-report-${organization.subdomain}-${header.period.from}-${header.period.to}`;
    return { header, pages: reportPeople(sequelize, organization.id, period), filename };
  }

  return createRouter()
    .openapi(routes.json, async (c) => {
      const { header, pages } = await prepare(c, c.req.valid('query'));
      return c.body(screeningReportJson(header, pages).pipeThrough(new TextEncoderStream()), 200, {
        'Content-Type': 'application/json',
      });
    })
    .openapi(routes.csv, async (c) => {
      const { pages, filename } = await prepare(c, c.req.valid('query'));
      return c.body(screeningReportCsv(pages).pipeThrough(new TextEncoderStream()), 200, {
        'Content-Type': 'text/csv; charset=utf-8',
        'Content-Disposition': `attachment; filename="${filename}.csv"`,
      });
    })
    .openapi(routes.pdf, async (c) => {
      const { header, pages, filename } = await prepare(c, c.req.valid('query'));
      return c.body(screeningReportPdf(header, pages), 200, {
        'Content-Type': 'application/pdf',
        'Content-Disposition': `attachment; filename="${filename}.pdf"`,
      });
    });
}
