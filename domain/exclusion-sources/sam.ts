import { exclusionKey, namedColumns, npiIn, usDate, valueOrNone } from './fields';
import type { ExclusionRecord, ExclusionSourceAdapter, RejectedRow } from './source';

/**
 * SAM.gov Exclusions Public Extract V2 (docs/spec.md §8): a ZIP holding one CSV of 31 columns.
 * Only the columns read here are required; the others (addresses, comments, CT code, …) may change
 * without failing the file.
 */

/** The extract's 31 columns in order, as published. */
export const SAM_COLUMNS = [
  'Classification',
  'Name',
  'Prefix',
  'First',
  'Middle',
  'Last',
  'Suffix',
  'Address 1',
  'Address 2',
  'Address 3',
  'Address 4',
  'City',
  'State / Province',
  'Country',
  'Zip Code',
  'Open Data Flag',
  'Blank (Deprecated)',
  'Unique Entity ID',
  'Exclusion Program',
  'Excluding Agency',
  'CT Code',
  'Exclusion Type',
  'Additional Comments',
  'Active Date',
  'Termination Date',
  'Record Status',
  'Cross-Reference',
  'SAM Number',
  'CAGE',
  'NPI',
  'Creation_Date',
] as const;

const REQUIRED = [
  'Classification',
  'Name',
  'First',
  'Middle',
  'Last',
  'Suffix',
  'State / Province',
  'Unique Entity ID',
  'Excluding Agency',
  'Exclusion Type',
  'Active Date',
  'Termination Date',
  'Cross-Reference',
  'SAM Number',
  'CAGE',
  'NPI',
] as const;

/** Only individuals are matched against people; firms, vessels and designated entities never are. */
const CLASSIFICATIONS: Record<string, ExclusionRecord['entityKind']> = {
  INDIVIDUAL: 'individual',
  FIRM: 'business',
  VESSEL: 'business',
  'SPECIAL ENTITY DESIGNATION': 'business',
};

/** The extract writes `-` for none in any field; `XX` is its unknown state. */
const none = (value: string | undefined) => valueOrNone(value, ['-']);

/** `(also JOHN A DOE, JACK DOE)` → ["JOHN A DOE", "JACK DOE"]. */
export function samAliases(crossReference: string | undefined): string[] {
  const text = none(crossReference);
  if (text === null) return [];
  return text
    .replace(/^\(\s*/, '')
    .replace(/\s*\)$/, '')
    .replace(/^(also|a\.?k\.?a\.?)[\s:]+/i, '')
    .split(/\s*[,;]\s*/)
    .map((alias) => alias.trim())
    .filter((alias) => alias !== '' && alias !== '-');
}

function parseSamRow(row: Record<string, string>): ExclusionRecord | RejectedRow {
  const classification = (row.Classification ?? '').trim();
  const entityKind = CLASSIFICATIONS[classification.toUpperCase()];
  if (!entityKind) return { rejected: `unknown Classification "${classification}"` };

  const activeText = none(row['Active Date']);
  const startsOn = activeText === null ? null : usDate(activeText);
  if (activeText !== null && startsOn === null) {
    return { rejected: `Active Date "${activeText}" is not a date MM/DD/YYYY` };
  }
  const terminationText = none(row['Termination Date']);
  const indefinite = terminationText === null || /^indefinite$/i.test(terminationText);
  const endsOn = indefinite ? null : usDate(terminationText);
  if (!indefinite && endsOn === null) {
    return { rejected: `Termination Date "${terminationText}" is neither Indefinite nor a date MM/DD/YYYY` };
  }

  const individual = entityKind === 'individual';
  const firstName = individual ? none(row.First) : null;
  const middleName = individual ? none(row.Middle) : null;
  const lastName = individual ? none(row.Last) : null;
  // `Name` is the entity's name; an individual's is in First/Middle/Last.
  const name = none(row.Name);
  const businessName = individual ? null : name;
  if (individual ? firstName === null && lastName === null : businessName === null) {
    return { rejected: `a ${classification} row without a name` };
  }
  const npi = npiIn(none(row.NPI));
  const state = none(row['State / Province']);
  return {
    exclusionKey: exclusionKey([
      classification,
      name,
      firstName,
      middleName,
      lastName,
      none(row.Suffix),
      none(row['Unique Entity ID']),
      none(row.CAGE),
      npi,
      none(row['SAM Number']),
      none(row['Excluding Agency']),
      none(row['Exclusion Type']),
      startsOn,
    ]),
    entityKind,
    firstName,
    middleName,
    lastName,
    businessName,
    aliases: samAliases(row['Cross-Reference']),
    npi,
    dob: null,
    state: state?.toUpperCase() === 'XX' ? null : state,
    exclusionType: none(row['Exclusion Type']),
    startsOn,
    endsOn,
  };
}

export const samAdapter: ExclusionSourceAdapter = {
  id: 'sam',
  name: 'SAM.gov Exclusions',
  revision: 1,
  container: 'zip',
  readHeader: (header) => namedColumns(REQUIRED, header),
  parseRow: parseSamRow,
};
