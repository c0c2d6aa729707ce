/**
 * The one interface every exclusion list implements (docs/spec.md §8): where its file comes from,
 * what its header must hold, and how one row becomes an `ExclusionRecord`. Adapters are pure — no
 * I/O — so the generic sync workflow fetches, archives, stages and swaps every list the same way,
 * and adding a state is one adapter file plus a fixture (docs/exclusion-sources.md).
 */

export const EXCLUSION_SOURCE_IDS = ['leie', 'sam', 'pa_medicheck', 'ca_medi_cal'] as const;
export type ExclusionSourceId = (typeof EXCLUSION_SOURCE_IDS)[number];

/** A list's record in one shape, whatever list it came from. Dates are ISO `YYYY-MM-DD`. */
export interface ExclusionRecord {
  /**
   * Stable across reloads and corrections of non-identifying fields (address, comments): a hash of
   * the identifying fields only, so a decision on a match survives the list's next version.
   */
  exclusionKey: string;
  /** Only `individual` records are matched against people; firms, vessels and businesses never are. */
  entityKind: 'individual' | 'business';
  firstName: string | null;
  middleName: string | null;
  lastName: string | null;
  businessName: string | null;
  /** Other full names the list gives for the same record ("JOHN A DOE"), as written there. */
  aliases: string[];
  npi: string | null;
  dob: string | null;
  state: string | null;
  exclusionType: string | null;
  /** When the exclusion took effect, when known. */
  startsOn: string | null;
  /** When it ends or ended; null for indefinite. A record whose end has passed never matches. */
  endsOn: string | null;
}

/** A row the adapter cannot read: counted and reported with the check, never failing the file. */
export interface RejectedRow {
  rejected: string;
}

export interface ExclusionSourceAdapter {
  id: ExclusionSourceId;
  /** The list's name as users read it ("SAM.gov Exclusions"). */
  name: string;
  /**
   * Bumped whenever `parseRow` turns the same row into another record (or rejects it): a list's
   * records are recognised by the hash of their bytes under this revision, so after a bump every
   * record is parsed again once (docs/exclusion-sources.md). A test holds each revision to its
   * fixture's parsed records.
   */
  revision: number;
  /** `zip`: the download is a ZIP holding exactly one CSV. */
  container: 'csv' | 'zip';
  /**
   * The header check: null when every required column is present, otherwise what is missing.
   * Returns how to read a data row (field array → named fields) when the header is good.
   */
  readHeader(header: string[]): { problem: string } | { columns: (row: string[]) => Record<string, string> };
  /** One data row → a record, or why it is rejected (a date in a wrong format, …). */
  parseRow(row: Record<string, string>): ExclusionRecord | RejectedRow;
}
