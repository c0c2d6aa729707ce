import type { Sequelize } from 'sequelize';
import { listImportsInForce, listSourceImportsInForce } from '../db/exclusion-list-versions';
import type { ScreeningResult } from '../db/exclusion-status-sql';
import type { OrganizationRow } from '../db/organization-store';
import { type ReportPersonRow, reportPeoplePage, reportResultCounts } from '../db/people-report-store';
import { listRunsForReport } from '../db/screening-run-store';
import type { Db } from '../db/sql';
import { csvRecord } from '../domain/csv';
import { EXCLUSION_SOURCE_NAMES } from '../domain/exclusion-sources/settings';
import type { ExclusionSourceId } from '../domain/exclusion-sources/source';
import { calendarDate, type Period } from '../domain/period';

/**
 * The screening report of docs/spec.md §10: a certificate an auditor can file for one organization
 * and period — the lists in force (each version's date, row count and sha256), the runs, every
 * person active in the period with their result, and totals. No date of birth anywhere. The people
 * are read a page at a time as the client takes the document (JSON, CSV or PDF), so a large roster
 * never sits in memory; everything else is small and read first.
 */

/** The longest period a report covers. */
export const REPORT_MAX_MONTHS = 13;

export interface ReportSourceVersion {
  checkId: string;
  sourceUpdatedOn: string | null;
  rowCount: number | null;
  sha256: string | null;
}

/** One exclusion source of the report: how to read the versions of its list in force during a period. */
export interface ReportSource {
  id: string;
  name: string;
  versionsInForce(db: Db, period: Period): Promise<ReportSourceVersion[]>;
}

/** The report's sources: every enabled list of docs/spec.md §8, the LEIE from its own checks. */
export function reportSources(enabled: readonly ExclusionSourceId[]): ReportSource[] {
  return enabled.map((id) => ({
    id,
    name: EXCLUSION_SOURCE_NAMES[id],
    async versionsInForce(db, period) {
      const checks =
        id === 'leie'
          ? await listImportsInForce(db, period.start, period.end)
          : await listSourceImportsInForce(db, id, period.start, period.end);
      return checks.map((check) => ({
        checkId: check.id,
        sourceUpdatedOn: check.source_updated_on,
        rowCount: check.row_count,
        sha256: check.sha256,
      }));
    },
  }));
}

export interface ReportRun {
  id: string;
  /** `organization`: the organization's own run; `all`: a list-wide run, its counts over every organization. */
  scope: 'organization' | 'all';
  trigger: string;
  startedAt: string;
  finishedAt: string | null;
  status: string;
  peopleScreened: number | null;
  matchesOpened: number | null;
  matchesResolved: number | null;
  listVersions: { source: string; checkId: string }[];
}

export interface ReportPerson {
  kind: 'employee' | 'caregiver';
  externalId: string | null;
  name: string;
  lastScreenedAt: string | null;
  result: ScreeningResult;
}

export interface ReportTotals extends Record<ScreeningResult, number> {
  people: number;
  runs: number;
}

/** Everything of the report but its people. */
export interface ReportHeader {
  organization: { id: string; name: string; subdomain: string };
  period: { from: string; to: string };
  sources: { id: string; name: string; versions: ReportSourceVersion[] }[];
  runs: ReportRun[];
  totals: ReportTotals;
}

const DAY_MS = 86_400_000;

export async function loadReportHeader(
  sequelize: Sequelize,
  organization: Pick<OrganizationRow, 'id' | 'name' | 'subdomain'>,
  period: Period,
  enabledSources: readonly ExclusionSourceId[],
): Promise<ReportHeader> {
  const [sources, runs, counts] = await Promise.all([
    Promise.all(
      reportSources(enabledSources).map(async (source) => ({
        id: source.id,
        name: source.name,
        versions: await source.versionsInForce(sequelize, period),
      })),
    ),
    listRunsForReport(sequelize, organization.id, period.start, period.end),
    reportResultCounts(sequelize, organization.id, period),
  ]);
  const people = Object.values(counts).reduce((sum, n) => sum + n, 0);
  return {
    organization: { id: organization.id, name: organization.name, subdomain: organization.subdomain },
    period: { from: calendarDate(period.start), to: calendarDate(new Date(period.end.getTime() - DAY_MS)) },
    sources,
    runs: runs.map((run) => ({
      id: run.id,
      scope: run.organization_id === null ? ('all' as const) : ('organization' as const),
      trigger: run.trigger,
      startedAt: run.started_at.toISOString(),
      finishedAt: run.finished_at?.toISOString() ?? null,
      status: run.status,
      peopleScreened: run.people_screened,
      matchesOpened: run.matches_opened,
      matchesResolved: run.matches_resolved,
      listVersions: Object.entries(run.list_versions).map(([source, checkId]) => ({ source, checkId })),
    })),
    totals: { people, runs: runs.length, ...counts },
  };
}

const PEOPLE_PAGE = 1000;

function personJson(row: ReportPersonRow): ReportPerson {
  return {
    kind: row.kind,
    externalId: row.external_id,
    name: [row.first_name, row.middle_name, row.last_name].filter(Boolean).join(' '),
    lastScreenedAt: row.last_screened_at?.toISOString() ?? null,
    result: row.result,
  };
}

/** The report's people, a page at a time, in (kind, external id) order. */
export async function* reportPeople(
  sequelize: Sequelize,
  organizationId: string,
  period: Period,
): AsyncGenerator<ReportPerson[]> {
  let after: [string, string, string] | undefined;
  for (;;) {
    const rows = await reportPeoplePage(sequelize, organizationId, period, { limit: PEOPLE_PAGE, after });
    if (rows.length > 0) yield rows.map(personJson);
    const last = rows.at(-1);
    if (rows.length < PEOPLE_PAGE || !last) return;
    after = [last.kind, last.external_id ?? '', last.id];
  }
}

/** A text stream of `head`, then one chunk per page of people, then `tail`, produced as the client reads. */
function peopleStream(
  head: string,
  pages: AsyncGenerator<ReportPerson[]>,
  render: (people: ReportPerson[], first: boolean) => string,
  tail: string,
): ReadableStream<string> {
  let first = true;
  let started = false;
  return new ReadableStream<string>(
    {
      async pull(controller) {
        if (!started) {
          started = true;
          controller.enqueue(head);
          return;
        }
        const page = await pages.next();
        if (page.done) {
          controller.enqueue(tail);
          controller.close();
          return;
        }
        controller.enqueue(render(page.value, first));
        first = false;
      },
      async cancel() {
        await pages.return(undefined);
      },
    },
    { highWaterMark: 1 },
  );
}

/** The JSON report: exactly the keys of docs/spec.md §10, people streamed. */
export function screeningReportJson(header: ReportHeader, pages: AsyncGenerator<ReportPerson[]>) {
  const { organization, period, sources, runs, totals } = header;
  const head = `{"organization":${JSON.stringify(organization)},"period":${JSON.stringify(period)},"sources":${JSON.stringify(sources)},"runs":${JSON.stringify(runs)},"people":[`;
  return peopleStream(
    head,
    pages,
    (people, first) => `${first ? '' : ','}${people.map((person) => JSON.stringify(person)).join(',')}`,
    `],"totals":${JSON.stringify(totals)}}`,
  );
}

export const REPORT_CSV_COLUMNS = ['kind', 'externalId', 'name', 'lastScreenedAt', 'result'] as const;

/** The CSV report: one row per person with the JSON's fields, cells neutralized. */
export function screeningReportCsv(pages: AsyncGenerator<ReportPerson[]>) {
  return peopleStream(
    csvRecord(REPORT_CSV_COLUMNS),
    pages,
    (people) =>
      people.map((person) => csvRecord(REPORT_CSV_COLUMNS.map((column) => person[column]))).join(''),
    '',
  );
}
