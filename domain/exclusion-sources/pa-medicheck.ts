import { exclusionKey, namedColumns, npiIn, usDate, valueOrNone } from './fields';
import type { ExclusionRecord, ExclusionSourceAdapter, RejectedRow } from './source';

/**
 * Pennsylvania Medicheck precluded providers (docs/spec.md §8): a CSV with dates
 * `MM/DD/YYYY HH:MM:SS`, an alternative name in `NAM_PROVR_ALT`, and an `EndDate` once a
 * preclusion has ended. No DOB and no address: the record's state is left unknown.
 */

export const PA_MEDICHECK_COLUMNS = [
  'NAM_LAST_PROVR',
  'NAM_FIRST_PROVR',
  'NAM_MIDDLE_PROVR',
  'NAM_SUFFIX_PROVR',
  'NAM_TITLE_PROVR',
  'NAM_BUSNS_MP',
  'NAM_PROVR_ALT',
  'IDN_NPI',
  'NBR_FEIN',
  'LicenseNumber',
  'Status',
  'BeginDate',
  'EndDate',
  'ListDate',
  'CAO',
] as const;

const REQUIRED = PA_MEDICHECK_COLUMNS.filter(
  (column) => !['NAM_TITLE_PROVR', 'ListDate', 'CAO'].includes(column),
);

const none = (value: string | undefined) => valueOrNone(value);

function date(
  row: Record<string, string>,
  column: 'BeginDate' | 'EndDate',
): { iso: string | null } | RejectedRow {
  const text = none(row[column]);
  if (text === null) return { iso: null };
  const iso = usDate(text);
  return iso === null ? { rejected: `${column} "${text}" is not a date MM/DD/YYYY HH:MM:SS` } : { iso };
}

function parseMedicheckRow(row: Record<string, string>): ExclusionRecord | RejectedRow {
  const begin = date(row, 'BeginDate');
  if ('rejected' in begin) return begin;
  const end = date(row, 'EndDate');
  if ('rejected' in end) return end;
  const firstName = none(row.NAM_FIRST_PROVR);
  const middleName = none(row.NAM_MIDDLE_PROVR);
  const lastName = none(row.NAM_LAST_PROVR);
  const businessName = none(row.NAM_BUSNS_MP);
  const individual = firstName !== null || lastName !== null;
  if (!individual && businessName === null) return { rejected: 'a row without a provider or business name' };
  const npi = npiIn(none(row.IDN_NPI));
  const alias = none(row.NAM_PROVR_ALT);
  return {
    exclusionKey: exclusionKey([
      lastName,
      firstName,
      middleName,
      none(row.NAM_SUFFIX_PROVR),
      businessName,
      npi,
      none(row.NBR_FEIN),
      none(row.LicenseNumber),
      begin.iso,
    ]),
    entityKind: individual ? 'individual' : 'business',
    firstName,
    middleName,
    lastName,
    businessName,
    aliases: alias === null ? [] : [alias],
    npi,
    dob: null,
    state: null,
    exclusionType: none(row.Status),
    startsOn: begin.iso,
    endsOn: end.iso,
  };
}

export const paMedicheckAdapter: ExclusionSourceAdapter = {
  id: 'pa_medicheck',
  name: 'Pennsylvania Medicheck',
  revision: 1,
  container: 'csv',
  readHeader: (header) => namedColumns(REQUIRED, header),
  parseRow: parseMedicheckRow,
};
