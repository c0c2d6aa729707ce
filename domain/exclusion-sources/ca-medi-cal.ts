import { exclusionKey, namedColumns, usDate, valueOrNone } from './fields';
import type { ExclusionRecord, ExclusionSourceAdapter, RejectedRow } from './source';

/**
 * California Medi-Cal Suspended and Ineligible Provider List (docs/spec.md §8). The file's header
 * has been written with varying case and punctuation over the years, so it is matched ignoring
 * both; `N/A` means none. `Active Period` is `Indefinite` or ends on a date; any other text reads
 * as no end, so an unreadable period never lets an excluded provider through.
 */

export const CA_MEDI_CAL_COLUMNS = [
  'Last Name',
  'First Name',
  'Middle Name',
  'A/K/A (also known as)',
  'D/B/A (doing business as)',
  'Address(es)',
  'Provider Type',
  'License Number(s)',
  'Provider Number(s)',
  'Date of Suspension',
  'Active Period',
] as const;

const none = (value: string | undefined) => valueOrNone(value, ['N/A', 'NA']);

/** The A/K/A column's names: one, or several separated by `;`, line breaks or "aka"/"a/k/a". */
export function caAliases(text: string | undefined): string[] {
  return (none(text) ?? '')
    .split(/\s*(?:;|\r?\n|\b(?:a\/k\/a|a\.?k\.?a\.?)(?=\s))\s*/i)
    .map((alias) => alias.replace(/^[,\s]+|[,\s]+$/g, ''))
    .filter((alias) => alias !== '' && none(alias) !== null);
}

/** The state of the last US address in the text ("…, FRESNO, CA 93721"). */
function addressState(text: string | null): string | null {
  const states = [...(text ?? '').matchAll(/,\s*([A-Z]{2})\s+\d{5}(?:-\d{4})?\b/g)];
  return states.at(-1)?.[1] ?? null;
}

/** The first ten-digit number among the provider numbers (the NPI, when listed). */
function providerNpi(text: string | null): string | null {
  return /(?:^|[^\d])(\d{10})(?!\d)/.exec(text ?? '')?.[1] ?? null;
}

/** The end of an `Active Period`: its last date, or null for `Indefinite` and anything else. */
function periodEnd(text: string | null): string | null {
  const dates = [...(text ?? '').matchAll(/\b\d{1,2}\/\d{1,2}\/\d{4}\b/g)].map((m) => usDate(m[0]));
  return dates.filter((date) => date !== null).at(-1) ?? null;
}

function parseMediCalRow(row: Record<string, string>): ExclusionRecord | RejectedRow {
  const suspendedText = none(row['Date of Suspension']);
  const startsOn = suspendedText === null ? null : usDate(suspendedText);
  if (suspendedText !== null && startsOn === null) {
    return { rejected: `Date of Suspension "${suspendedText}" is not a date MM/DD/YYYY` };
  }
  const firstName = none(row['First Name']);
  const middleName = none(row['Middle Name']);
  const lastName = none(row['Last Name']);
  const businessName = none(row['D/B/A (doing business as)']);
  const individual = firstName !== null || lastName !== null;
  if (!individual && businessName === null) return { rejected: 'a row without a provider or business name' };
  const licenses = none(row['License Number(s)']);
  const providerNumbers = none(row['Provider Number(s)']);
  const providerType = none(row['Provider Type']);
  return {
    exclusionKey: exclusionKey([
      lastName,
      firstName,
      middleName,
      businessName,
      providerType,
      licenses,
      providerNumbers,
      startsOn,
    ]),
    entityKind: individual ? 'individual' : 'business',
    firstName,
    middleName,
    lastName,
    businessName,
    aliases: caAliases(row['A/K/A (also known as)']),
    npi: providerNpi(providerNumbers),
    dob: null,
    state: addressState(none(row['Address(es)'])),
    // The list says what the provider was (Provider Type), not under which authority: no type.
    exclusionType: null,
    startsOn,
    endsOn: periodEnd(none(row['Active Period'])),
  };
}

export const caMediCalAdapter: ExclusionSourceAdapter = {
  id: 'ca_medi_cal',
  name: 'California Medi-Cal Suspended and Ineligible Providers',
  revision: 1,
  container: 'csv',
  readHeader: (header) => namedColumns(CA_MEDI_CAL_COLUMNS, header),
  parseRow: parseMediCalRow,
};
