/**
 * Why a person matched a list record (docs/spec.md §9), best first, with the score each reason
 * carries. One list for the database's check constraint (db/migrations/1700-tolerant-matching.ts,
 * held equal by test/db/tolerant-matching.test.ts), the screening SQL and the API's enum.
 */
export const MATCH_REASONS = ['npi', 'name_dob', 'alias_dob', 'nickname_dob', 'fuzzy_dob', 'name'] as const;
export type MatchReason = (typeof MATCH_REASONS)[number];

export const MATCH_SCORES: Record<MatchReason, number> = {
  npi: 1.0,
  name_dob: 0.95,
  alias_dob: 0.9,
  nickname_dob: 0.85,
  fuzzy_dob: 0.8,
  name: 0.6,
};

/**
 * What agreed between the person and the record, as the match shows it (`explanation.agreed`):
 * - `npi`: the same NPI;
 * - `first_name`, `last_name`: equal after normalization (§4.5);
 * - `first_name_nickname`: first names related in the nickname table;
 * - `last_name_one_edit`: last names one edit apart;
 * - `names_swapped`: the person's first name is the record's last name and the other way round;
 * - `date_of_birth`, `date_of_birth_day_month_swapped`: the same DOB, or the same with day and
 *   month swapped;
 * - `middle_initial`: both names carry a middle initial and they agree.
 */
export const AGREED_FIELDS = [
  'npi',
  'first_name',
  'last_name',
  'first_name_nickname',
  'last_name_one_edit',
  'names_swapped',
  'date_of_birth',
  'date_of_birth_day_month_swapped',
  'middle_initial',
] as const;
export type AgreedField = (typeof AGREED_FIELDS)[number];
