/**
 * Which names screening can compare (docs/spec.md §4.5, §9): the lists publish names in the Latin
 * alphabet, and ale_normalize_name (db/migrations/0970) keeps A–Z and digits only.
 */

/**
 * Latin letters without a canonical decomposition that ale_normalize_name (db/migrations/0970)
 * still spells in A–Z, as names use them.
 */
const LATIN_LETTERS_UNACCENT_SPELLS = new Set('ÆæÐðØøÞþßẞĐđĦħıĲĳĿŀŁłŊŋŒœŦŧ');
/** Decompose to an A–Z letter, but ale_normalize_name drops them (the Kelvin and Ångström signs). */
const SIGNS_UNACCENT_DROPS = new Set(['\u212a', '\u212b']);

/**
 * Whether `name` keeps a character through ale_normalize_name, the one normalization screening
 * compares (docs/architecture.md): a letter of the Latin alphabet, accented or not, or a digit 0–9.
 * The exclusion lists publish names in the Latin alphabet, so a name written only in another
 * script could never match one; it is refused, never stored unscreenable. The rule is checked
 * against the database's function for every character of the Basic Multilingual Plane
 * (test/db/normalize-name.test.ts).
 */
export function hasScreenableCharacter(name: string): boolean {
  for (const character of name) {
    if (LATIN_LETTERS_UNACCENT_SPELLS.has(character)) return true;
    if (!SIGNS_UNACCENT_DROPS.has(character) && /^[A-Za-z0-9]/.test(character.normalize('NFD'))) return true;
  }
  return false;
}

/**
 * The names every screening compares: the first and last name. A middle name or another name in
 * another script is kept beside them (it matches nothing).
 */
export const SCREENED_NAME_COLUMNS: ReadonlySet<string> = new Set(['first_name', 'last_name']);

/** What a refused name needs, for the error that names its field. */
export const SCREENABLE_NAME_HINT =
  "in the Latin alphabet (accents allowed) or a digit, as on the person's identity documents";
