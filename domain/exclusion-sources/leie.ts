import { LEIE_COLUMNS, leieHeaderProblem } from '../leie';
import { compactDate, exclusionKeyOf } from './fields';
import type { ExclusionRecord, ExclusionSourceAdapter } from './source';

/**
 * The LEIE's row rules in the adapter shape. The OIG sync keeps its own path (COPY and the SQL
 * functions of db/migrations/0400-leie-row-rules.ts, far faster for the LEIE's size); this adapter
 * gives the same values and the same exclusion key, so the LEIE reads like every other list
 * (docs/exclusion-sources.md says where the two differ):
 * - text fields are trimmed of spaces (`btrim`), empty is none;
 * - dates are `YYYYMMDD` (years 1800–2999); `00000000`, empty and invalid dates are none — an
 *   invalid date keeps the row, as the SQL does;
 * - the NPI `0000000000` (any run of zeros) is none;
 * - the key hashes the names (upper-cased), business name, DOB, NPI, UPIN, exclusion type (upper)
 *   and exclusion date, as `ale_leie_exclusion_key`.
 */

const btrim = (value: string | undefined) => (value ?? '').replace(/^ +| +$/g, '');
const text = (value: string | undefined) => btrim(value) || null;

/** `ale_leie_date`: `YYYYMMDD` with optional surrounding whitespace, a real date from 1800 to 2999. */
function leieDate(value: string | undefined): string | null {
  const trimmed = (value ?? '').trim();
  return /^(1[89]|2\d)\d{6}$/.test(trimmed) ? compactDate(trimmed) : null;
}

/** `ale_leie_npi`: zeros (or nothing) are none; otherwise the trimmed value as written. */
function leieNpi(value: string | undefined): string | null {
  return /^\s*0*\s*$/.test(value ?? '') ? null : btrim(value);
}

const compact = (iso: string | null) => (iso ?? '').replaceAll('-', '');
const upper = (value: string | null) => (value ?? '').toUpperCase();

function parseLeieRow(row: Record<string, string>): ExclusionRecord {
  const lastName = text(row.LASTNAME);
  const firstName = text(row.FIRSTNAME);
  const middleName = text(row.MIDNAME);
  const businessName = text(row.BUSNAME);
  const dob = leieDate(row.DOB);
  const npi = leieNpi(row.NPI);
  const exclusionType = text(row.EXCLTYPE);
  const startsOn = leieDate(row.EXCLDATE);
  return {
    exclusionKey: exclusionKeyOf([
      upper(lastName),
      upper(firstName),
      upper(middleName),
      upper(businessName),
      compact(dob),
      npi ?? '',
      upper(text(row.UPIN)),
      upper(exclusionType),
      compact(startsOn),
    ]),
    entityKind: lastName !== null || firstName !== null ? 'individual' : 'business',
    firstName,
    middleName,
    lastName,
    businessName,
    aliases: [],
    npi,
    dob,
    state: text(row.STATE),
    exclusionType,
    startsOn,
    endsOn: leieDate(row.REINDATE),
  };
}

export const leieAdapter: ExclusionSourceAdapter = {
  id: 'leie',
  name: 'HHS-OIG LEIE',
  revision: 1,
  container: 'csv',
  readHeader(header) {
    const problem = leieHeaderProblem(header.join(','));
    if (problem !== null) return { problem };
    return {
      columns: (fields) =>
        Object.fromEntries(LEIE_COLUMNS.map((column, index) => [column, fields[index] ?? ''])),
    };
  },
  parseRow: parseLeieRow,
};
