import type { Sequelize } from 'sequelize';
import type { ExclusionStatus } from '../db/exclusion-status-sql';
import { type EmployeeFilters, type EmployeeSearchRow, searchEmployees } from '../db/people-store';
import { type ExclusionMatchView, exclusionStatuses, listExclusionMatches } from '../db/screening-store';
import { csvRecord } from '../domain/csv';
import type { MatchStatus } from '../domain/match-review';
import { isoTimestamp } from '../lib/iso-timestamp';

/**
 * The CSV exports of docs/spec.md §10, streamed: a page of rows is read from Postgres only when the
 * client has taken the previous one, so a large roster never sits in memory. Cells are neutralized
 * (domain/csv.ts).
 */

const EXPORT_PAGE = 1000;

/** A CSV stream of `header` then the records of each keyset page, read as the client pulls. */
function pagedCsv<T, K>(
  header: readonly string[],
  fetchPage: (after: K | undefined, limit: number) => Promise<T[]>,
  keyOf: (row: T) => K,
  records: (rows: T[]) => Promise<(string | number | null)[][]>,
): ReadableStream<string> {
  let after: K | undefined;
  let started = false;
  return new ReadableStream<string>(
    {
      async pull(controller) {
        if (!started) {
          started = true;
          controller.enqueue(csvRecord(header));
        }
        const rows = await fetchPage(after, EXPORT_PAGE);
        if (rows.length > 0) controller.enqueue((await records(rows)).map(csvRecord).join(''));
        const last = rows.at(-1);
        if (rows.length < EXPORT_PAGE || last === undefined) controller.close();
        else after = keyOf(last);
      },
    },
    // One page at a time: the next is read only when the client has taken this one.
    { highWaterMark: 1 },
  );
}

const timestamp = (value: Date | string | null) => (value === null ? null : isoTimestamp(value));

export const EMPLOYEE_CSV_COLUMNS = [
  'id',
  'kind',
  'externalId',
  'firstName',
  'middleName',
  'lastName',
  'dateOfBirth',
  'npi',
  'email',
  'phone',
  'title',
  'hireDate',
  'status',
  'exclusionStatus',
  'lastScreenedAt',
] as const;

/** The organization's people matching the list's filters, in the list's order, as CSV. */
export function employeesCsv(
  sequelize: Sequelize,
  organizationId: string,
  filters: EmployeeFilters,
): ReadableStream<string> {
  return pagedCsv<EmployeeSearchRow, [string, string]>(
    EMPLOYEE_CSV_COLUMNS,
    (after, limit) => searchEmployees(sequelize, organizationId, filters, { limit, after }),
    (row) => [row.full_name_norm, row.id],
    async (rows) => {
      const statuses = await exclusionStatuses(
        sequelize,
        organizationId,
        rows.map((row) => row.id),
      );
      return rows.map((row) => [
        row.id,
        row.kind,
        row.external_id,
        row.first_name,
        row.middle_name,
        row.last_name,
        row.date_of_birth,
        row.npi,
        row.email,
        row.phone,
        row.title,
        row.hire_date,
        row.status,
        statuses.get(row.id) ?? ('clear' satisfies ExclusionStatus),
        timestamp(row.last_screened_at),
      ]);
    },
  );
}

export const MATCH_CSV_COLUMNS = [
  'id',
  'status',
  'reason',
  'score',
  'firstDetectedAt',
  'lastSeenAt',
  'reviewedBy',
  'reviewedAt',
  'note',
  'resolution',
  'employeeId',
  'employeeKind',
  'employeeExternalId',
  'employeeFirstName',
  'employeeLastName',
  'employeeStatus',
  'source',
  'exclusionKey',
  'exclusionLastName',
  'exclusionFirstName',
  'exclusionNpi',
  'exclusionType',
  'exclusionDate',
  'reinstatementDate',
  'exclusionEndsOn',
] as const;

/** The organization's matches (of one status, or all), newest first, as CSV. */
export function exclusionMatchesCsv(
  sequelize: Sequelize,
  organizationId: string,
  status: MatchStatus | undefined,
): ReadableStream<string> {
  return pagedCsv<ExclusionMatchView, [string, string]>(
    MATCH_CSV_COLUMNS,
    (before, limit) => listExclusionMatches(sequelize, organizationId, { status, before, limit }),
    (row) => [row.cursor_at, row.id],
    async (rows) =>
      rows.map((row) => [
        row.id,
        row.status,
        row.reason,
        Number(row.score),
        timestamp(row.first_detected_at),
        timestamp(row.last_seen_at),
        row.reviewed_by,
        timestamp(row.reviewed_at),
        row.note,
        row.resolution,
        row.employee_id,
        row.e_kind,
        row.e_external_id,
        row.e_first_name,
        row.e_last_name,
        row.e_status,
        row.source,
        row.exclusion_key,
        // The LEIE's row as the OIG writes it, or another list's record (db/exclusion-source-store.ts).
        row.x?.lastname ?? row.r?.lastName ?? null,
        row.x?.firstname ?? row.r?.firstName ?? null,
        row.x?.npi ?? row.r?.npi ?? null,
        row.x?.excltype ?? row.r?.exclusionType ?? null,
        row.x?.excldate ?? row.r?.startsOn ?? null,
        row.x?.reindate ?? null,
        row.r?.endsOn ?? null,
      ]),
  );
}
