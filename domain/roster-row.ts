/**
 * Roster row rules (docs/spec.md §4.2): header matching, value parsing and per-kind validation.
 * Pure: no I/O, no clock (callers pass `today`), shared by the import activity and the employee API.
 */

import type { RosterKind } from '../lib/workflow-contracts';
import { isValidNpi } from './npi';
import { hasScreenableCharacter, SCREENABLE_NAME_HINT, SCREENED_NAME_COLUMNS } from './screenable-names';

export type ErrorCode =
  | 'required'
  | 'missing_key'
  | 'invalid_date'
  | 'invalid_npi'
  | 'invalid_email'
  | 'invalid_name'
  | 'invalid_character'
  | 'too_long'
  | 'duplicate_in_file';

export interface RowError {
  column: string | null;
  code: ErrorCode;
  message: string;
  /** The rejected value as given (trimmed, truncated), so the report says what to fix. */
  value: string | null;
}

type FieldType = 'name' | 'names' | 'text' | 'date' | 'npi' | 'email';

interface FieldSpec {
  type: FieldType;
  aliases: string[];
  maxLength: number;
}

const field = (type: FieldType, aliases: string[], maxLength = 200): FieldSpec => ({
  type,
  aliases,
  maxLength,
});

/** A person's other names (docs/spec.md §9): several may be given in one cell, separated by `;` or `|`. */
export const OTHER_NAMES_SEPARATOR = /[;|]/;
/** Each of a person's other names, and the whole cell, at most this long. */
const OTHER_NAME_MAX = 200;

/** The names of an other-names cell: split on `;` or `|`, trimmed, empty pieces dropped. */
export function splitOtherNames(text: string | null | undefined): string[] {
  return (text ?? '')
    .split(OTHER_NAMES_SEPARATOR)
    .map((name) => name.trim())
    .filter((name) => name !== '');
}

/**
 * Columns a file may hold several times, their cells joined with `;` (a file with both `AKA` and
 * `Maiden Name` gives both names).
 */
export const REPEATABLE_COLUMNS: ReadonlySet<string> = new Set(['other_names']);

const PERSON_FIELDS = {
  external_id: field('text', [
    'externalid',
    'employeeid',
    'employeenumber',
    'employeeno',
    'empid',
    'staffid',
  ]),
  first_name: field('name', ['firstname', 'first', 'givenname', 'fname']),
  middle_name: field('name', ['middlename', 'middle', 'middleinitial', 'mi', 'midname']),
  last_name: field('name', ['lastname', 'last', 'surname', 'familyname', 'lname']),
  date_of_birth: field('date', ['dateofbirth', 'dob', 'birthdate', 'birthday']),
  email: field('email', ['email', 'emailaddress', 'mail'], 320),
  phone: field('text', ['phone', 'phonenumber', 'telephone', 'mobile', 'cell'], 50),
};

const OTHER_NAMES_FIELD = field(
  'names',
  ['aka', 'alsoknownas', 'alias', 'aliases', 'maidenname', 'formername', 'formernames', 'previousname'],
  2000,
);

/** Canonical columns per kind (snake_case, as in the tables) with the header spellings they accept. */
export const ROSTER_FIELDS = {
  employees: {
    ...PERSON_FIELDS,
    external_id: field('text', [...PERSON_FIELDS.external_id.aliases, 'id']),
    npi: field('npi', ['npi', 'npinumber', 'nationalproviderid', 'nationalprovideridentifier']),
    title: field('text', ['title', 'jobtitle', 'position', 'role']),
    hire_date: field('date', ['hiredate', 'dateofhire', 'startdate']),
    other_names: OTHER_NAMES_FIELD,
  },
  caregivers: {
    ...PERSON_FIELDS,
    external_id: field('text', [...PERSON_FIELDS.external_id.aliases, 'caregiverid', 'id']),
    npi: field('npi', ['npi', 'npinumber', 'nationalproviderid', 'nationalprovideridentifier']),
    title: field('text', ['title', 'jobtitle', 'position', 'role']),
    hire_date: field('date', ['hiredate', 'dateofhire', 'startdate']),
    other_names: OTHER_NAMES_FIELD,
  },
  patients: {
    ...PERSON_FIELDS,
    external_id: field('text', ['mrn', 'medicalrecordnumber', 'patientid', 'externalid', 'id']),
    sex: field('text', ['sex', 'gender'], 20),
    address: field('text', ['address', 'address1', 'streetaddress', 'street'], 500),
    city: field('text', ['city'], 100),
    state: field('text', ['state'], 50),
    zip: field('text', ['zip', 'zipcode', 'postalcode'], 20),
  },
} as const satisfies Record<RosterKind, Record<string, FieldSpec>>;

export type RosterColumn<K extends RosterKind = RosterKind> = keyof (typeof ROSTER_FIELDS)[K] & string;

/** Columns a file must have (file-level check); `oneOf` lists columns of which at least one is needed. */
export const REQUIRED_COLUMNS: Record<RosterKind, { all: string[]; oneOf?: string[] }> = {
  employees: { all: ['first_name', 'last_name'], oneOf: ['external_id', 'email'] },
  caregivers: { all: ['first_name', 'last_name'], oneOf: ['external_id', 'email'] },
  patients: { all: ['external_id', 'first_name', 'last_name', 'date_of_birth'] },
};

/** Values every valid row must carry. */
const REQUIRED_VALUES: Record<RosterKind, string[]> = {
  employees: ['first_name', 'last_name'],
  caregivers: ['first_name', 'last_name'],
  patients: ['external_id', 'first_name', 'last_name', 'date_of_birth'],
};

/** `First Name`, `FIRST_NAME`, `first-name` and `firstname` are the same header. */
export function headerKey(header: string): string {
  return header
    .replace(/^\uFEFF/, '')
    .toLowerCase()
    .replace(/[\s_-]+/g, '');
}

/** The header spellings `column` accepts, canonical first (matched through `headerKey`). */
export function acceptedHeaders(kind: RosterKind, column: string): string[] {
  const spec = (ROSTER_FIELDS[kind] as Record<string, FieldSpec>)[column];
  if (!spec) return [column];
  return [column, ...spec.aliases.filter((alias) => alias !== headerKey(column))];
}

/** A missing required column (or one-of group `a|b`) with the headers that would have satisfied it. */
export function describeMissingColumn(kind: RosterKind, missing: string): string {
  return missing
    .split('|')
    .map((column) => `${column} (${acceptedHeaders(kind, column).join(', ')})`)
    .join(' or ');
}

export interface HeaderMapping {
  /** Canonical column per source column index; null for ignored columns. */
  columns: (string | null)[];
  /** Headers that matched nothing (ignored, listed in the import result). */
  unknown: string[];
  /** Required columns the header lacks, or a one-of group written as `external_id|email`. */
  missing: string[];
}

export function mapHeader(kind: RosterKind, headers: string[]): HeaderMapping {
  const byAlias = new Map<string, string>();
  for (const [column, spec] of Object.entries(ROSTER_FIELDS[kind])) {
    byAlias.set(headerKey(column), column);
    for (const alias of spec.aliases) byAlias.set(alias, column);
  }
  const seen = new Set<string>();
  const unknown: string[] = [];
  const columns = headers.map((header) => {
    const column = byAlias.get(headerKey(header));
    // A repeated column is ignored after its first occurrence, like any unknown column — except
    // the other names, which several columns may give (`AKA`, `Maiden Name`).
    if (!column || (seen.has(column) && !REPEATABLE_COLUMNS.has(column))) {
      if (header.trim() !== '') unknown.push(header.trim());
      return null;
    }
    seen.add(column);
    return column;
  });
  const { all, oneOf } = REQUIRED_COLUMNS[kind];
  const missing = all.filter((column) => !seen.has(column));
  if (oneOf && !oneOf.some((column) => seen.has(column))) missing.push(oneOf.join('|'));
  return { columns, unknown, missing };
}

/** A raw cell: CSV gives strings; XLSX may give numbers, booleans and Dates (date cells). */
export type Cell = string | number | boolean | Date | null | undefined;

const MONTH_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
const pad = (n: number, width = 2) => String(n).padStart(width, '0');

function calendarDate(year: number, month: number, day: number): string | null {
  if (year < 1850 || year > 2200 || month < 1 || month > 12 || day < 1) return null;
  const maxDay = month === 2 && !isLeap(year) ? 28 : (MONTH_DAYS[month - 1] as number);
  if (day > maxDay) return null;
  return `${pad(year, 4)}-${pad(month)}-${pad(day)}`;
}

/** `YYYY-MM-DD`, `MM/DD/YYYY`, `M/D/YYYY`, `YYYYMMDD` or an Excel date cell → `YYYY-MM-DD`; null if invalid. */
export function parseRosterDate(value: string | Date): string | null {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) return null;
    // exceljs turns date cells into UTC midnights.
    return calendarDate(value.getUTCFullYear(), value.getUTCMonth() + 1, value.getUTCDate());
  }
  let match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (match) return calendarDate(Number(match[1]), Number(match[2]), Number(match[3]));
  match = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(value);
  if (match) return calendarDate(Number(match[3]), Number(match[1]), Number(match[2]));
  match = /^(\d{4})(\d{2})(\d{2})$/.exec(value);
  if (match) return calendarDate(Number(match[1]), Number(match[2]), Number(match[3]));
  return null;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
// At least one letter or digit.
const NAME_CHARACTER = /[\p{L}\p{N}]/u;

/** Postgres text cannot hold U+0000: where such a value is only reported, it shows U+FFFD instead. */
export const withoutNul = (text: string) => text.replaceAll('\u0000', '\uFFFD');

/** A cell as text: trimmed, empty → null; numbers keep their digits (no exponent, no grouping). */
export function cellText(cell: Cell): string | null {
  if (cell === null || cell === undefined) return null;
  let text: string;
  if (cell instanceof Date) text = Number.isNaN(cell.getTime()) ? '' : cell.toISOString().slice(0, 10);
  else if (typeof cell === 'number') text = Number.isInteger(cell) ? BigInt(cell).toString() : String(cell);
  else text = String(cell);
  text = text.trim();
  return text === '' ? null : text;
}

const VALUE_PREVIEW = 200;
const preview = (text: string) => (text.length > VALUE_PREVIEW ? `${text.slice(0, VALUE_PREVIEW)}…` : text);

export type RosterRecord = Record<string, string | null>;

function pushError(
  errors: RowError[],
  column: string,
  code: ErrorCode,
  message: string,
  value: string | null,
) {
  errors.push({ column, code, message, value: value === null ? null : preview(value) });
}

export type RowResult =
  | { ok: true; record: RosterRecord; key: string }
  /** A rejected row still carries its values as given (trimmed), so its key can be claimed. */
  | { ok: false; errors: RowError[]; key: string | null; record: RosterRecord };

/** The identity of a row inside one roster: `x:<external id>`, else `e:<lower-cased email>` (people only). */
export function rosterKey(kind: RosterKind, record: RosterRecord): string | null {
  if (record.external_id) return `x:${record.external_id}`;
  if (kind !== 'patients' && record.email) return `e:${record.email.toLowerCase()}`;
  return null;
}

/**
 * Validates one row given as canonical column → cell. Every invalid column is reported; a row with
 * any error is rejected whole. Valid values are returned as given (trimmed), dates as `YYYY-MM-DD`.
 */
export function validateRosterRow(
  kind: RosterKind,
  cells: Record<string, Cell>,
  options: {
    today: string;
    /** How messages name a column: the API says `dateOfBirth` where the table says `date_of_birth`. */
    fieldName?: (column: string) => string;
  },
): RowResult {
  const specs = ROSTER_FIELDS[kind] as Record<string, FieldSpec>;
  const record: RosterRecord = {};
  const errors: RowError[] = [];
  const nameOf = options.fieldName ?? ((column: string) => column);
  for (const column in cells) {
    const spec = specs[column];
    if (!spec) continue;
    const cell = cells[column] as Cell;
    const text = cellText(cell);
    if (text?.includes('\u0000')) {
      record[column] = withoutNul(text);
      pushError(
        errors,
        column,
        'invalid_character',
        `${nameOf(column)} contains a NUL character (U+0000), which cannot be stored; remove it.`,
        record[column],
      );
      continue;
    }
    record[column] = text;
    if (text === null) continue;
    if (text.length > spec.maxLength) {
      pushError(
        errors,
        column,
        'too_long',
        `${nameOf(column)} is longer than ${spec.maxLength} characters.`,
        text,
      );
      continue;
    }
    switch (spec.type) {
      case 'name':
        if (!NAME_CHARACTER.test(text))
          pushError(errors, column, 'invalid_name', `${nameOf(column)} has no letters.`, text);
        else if (SCREENED_NAME_COLUMNS.has(column) && !hasScreenableCharacter(text))
          pushError(
            errors,
            column,
            'invalid_name',
            `${nameOf(column)} needs a letter ${SCREENABLE_NAME_HINT}.`,
            text,
          );
        break;
      case 'names': {
        const names = splitOtherNames(text);
        if (names.some((name) => !NAME_CHARACTER.test(name)))
          pushError(errors, column, 'invalid_name', `Each name of ${nameOf(column)} needs a letter.`, text);
        else if (names.some((name) => name.length > OTHER_NAME_MAX))
          pushError(
            errors,
            column,
            'too_long',
            `Each name of ${nameOf(column)} is at most ${OTHER_NAME_MAX} characters.`,
            text,
          );
        break;
      }
      case 'email':
        if (!EMAIL.test(text))
          pushError(errors, column, 'invalid_email', `${nameOf(column)} is not an email address.`, text);
        break;
      case 'npi':
        if (!isValidNpi(text)) {
          pushError(
            errors,
            column,
            'invalid_npi',
            `${nameOf(column)} must be 10 digits with a valid check digit.`,
            text,
          );
        }
        break;
      case 'date': {
        const date = parseRosterDate(cell instanceof Date ? cell : text);
        if (date === null) {
          pushError(
            errors,
            column,
            'invalid_date',
            `${nameOf(column)} is not a date from 1850 to 2200 (YYYY-MM-DD, MM/DD/YYYY, M/D/YYYY or YYYYMMDD).`,
            text,
          );
        } else if (column === 'date_of_birth' && date > options.today) {
          pushError(errors, column, 'invalid_date', `${nameOf(column)} is in the future.`, text);
        } else {
          record[column] = date;
        }
        break;
      }
      case 'text':
        break;
    }
  }
  for (const column of REQUIRED_VALUES[kind]) {
    if (!record[column] && !errors.some((error) => error.column === column)) {
      pushError(errors, column, 'required', `${nameOf(column)} is required.`, null);
    }
  }
  const key = rosterKey(kind, record);
  if (key === null && kind !== 'patients' && !errors.some((e) => e.column === 'email')) {
    errors.push({
      column: 'external_id',
      code: 'missing_key',
      message: `Each row needs ${nameOf('external_id')} or ${nameOf('email')} to identify the person.`,
      value: null,
    });
  }
  if (errors.length > 0) return { ok: false, errors, key, record };
  return { ok: true, record, key: key as string };
}

/** The employee `kind` column value for a roster kind. */
export function employeeKindOf(kind: 'employees' | 'caregivers'): 'employee' | 'caregiver' {
  return kind === 'employees' ? 'employee' : 'caregiver';
}

/** CSV cells that a spreadsheet would run as a formula get a leading apostrophe (OWASP CSV injection). */
export function neutralizeCsvCell(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}
