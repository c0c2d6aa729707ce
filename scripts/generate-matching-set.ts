/**
 * Generates the labeled set of tolerant matching (docs/spec.md §9): pairs of a person and a list
 * record, each labeled with the reason it must match for, or `null` when it must not match. Every
 * pair comes from a general rule below applied to a fresh identity — not from hand-picked cases — so
 * the set measures the rules, and another labeled set built from §9 should agree with it.
 *
 *   npx tsx scripts/generate-matching-set.ts [out=test/fixtures/matching-labeled-set.json] [seed=23]
 *
 * Each pair's identity has a last name no other pair shares (nor is within two edits of), a date of
 * birth no other pair shares (nor equals with day and month swapped) and its own NPI, so a person can
 * only ever match its own pair's record: every other match found is a false positive.
 */

import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { MatchReason } from '../domain/match-reasons';
import { parseNicknameCsv } from '../domain/nicknames';
import { npiCheckDigit } from '../domain/npi';
import { prng } from './generate-leie';

export interface LabeledPerson {
  firstName: string;
  middleName?: string | null;
  lastName: string;
  dateOfBirth?: string | null;
  npi?: string | null;
  otherNames?: string[];
  status?: 'active' | 'inactive';
}

export interface LabeledRecord {
  source: 'leie' | 'sam' | 'pa_medicheck' | 'ca_medi_cal';
  entityKind: 'individual' | 'business';
  firstName?: string | null;
  middleName?: string | null;
  lastName?: string | null;
  businessName?: string | null;
  aliases?: string[];
  npi?: string | null;
  dob?: string | null;
  /** LEIE REINDATE (a reinstated row). */
  reinstatedOn?: string | null;
  /** The end of a generic record's exclusion. */
  endsOn?: string | null;
}

export interface LabeledPair {
  id: string;
  /** The rule that made the pair (`variant:<rule>` or `near_miss:<rule>`). */
  rule: string;
  /** The reason it must match for; null: it must not match. */
  expected: MatchReason | null;
  person: LabeledPerson;
  record: LabeledRecord;
}

export interface LabeledSet {
  seed: number;
  pairs: LabeledPair[];
}

const SYLLABLES = [
  'BRA',
  'DEN',
  'KOR',
  'VAL',
  'MIS',
  'TOR',
  'LAN',
  'RIK',
  'SEN',
  'DUL',
  'MAR',
  'QUIN',
  'ZEL',
  'HOR',
  'PAT',
  'NEV',
  'GOL',
  'FAR',
  'WIN',
  'STO',
  'BEL',
  'CRA',
  'DOM',
  'ELS',
  'FEN',
  'GRI',
  'HAL',
  'JOR',
  'KEM',
  'LOV',
  'MUN',
  'NOR',
  'OST',
  'PEL',
  'RAD',
  'SUL',
  'TAV',
  'URB',
  'VEK',
  'WOL',
  'YAR',
  'ZOB',
];
const SHORT = ['AX', 'BO', 'CY', 'DU', 'EK', 'FA', 'GI', 'HU', 'JO', 'KA', 'LU', 'MO', 'NY', 'PO', 'RU'];
const LETTERS = 'ABCDEFGHIJKLMNOPRSTUVWYZ';
const LETTER_LIST = LETTERS.split('');
const MIDDLES = 'ABCDEFGHJKLMNPRSTW';

/** Optimal string alignment distance (the edits of §9: insert, delete, substitute, swap neighbours). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = d[i] as number[];
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min(
        ((d[i - 1] as number[])[j] as number) + 1,
        (row[j - 1] as number) + 1,
        ((d[i - 1] as number[])[j - 1] as number) + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        row[j] = Math.min(row[j] as number, ((d[i - 2] as number[])[j - 2] as number) + 1);
      }
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}

export function generateMatchingSet(seed = 23, nicknameCsv?: string): LabeledSet {
  const random = prng(seed);
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;

  // ── Nickname pairs and first names ─────────────────────────────────────────────────────────────
  const csv =
    nicknameCsv ??
    fs.readFileSync(path.join(import.meta.dirname, '..', 'data', 'nicknames', 'names.csv'), 'utf8');
  const related = new Map<string, Set<string>>();
  const relate = (a: string, b: string) => {
    if (!related.has(a)) related.set(a, new Set());
    related.get(a)?.add(b);
  };
  const nicknamePairs: [string, string][] = [];
  for (const [name, nickname] of parseNicknameCsv(csv).pairs) {
    const a = name.toUpperCase();
    const b = nickname.toUpperCase();
    if (!/^[A-Z]{2,}$/.test(a) || !/^[A-Z]{2,}$/.test(b) || a === b) continue;
    relate(a, b);
    relate(b, a);
    nicknamePairs.push([a, b]);
  }
  const firstNames = [...related.keys()].filter((name) => name.length >= 3).sort();
  const areRelated = (a: string, b: string) => a === b || (related.get(a)?.has(b) ?? false);

  // ── Identities nobody else shares ─────────────────────────────────────────────────────────────
  const lastNames: string[] = [];
  /** A last name no other pair has, nor is within two edits of (so one pair's typo is no other's name). */
  function freshLast(options: { short?: boolean; minLength?: number } = {}): string {
    for (;;) {
      const name = options.short
        ? `${pick(SHORT)}${pick(LETTER_LIST)}${random() < 0.7 ? pick(LETTER_LIST) : ''}`.slice(
            random() < 0.3 ? 1 : 0,
          )
        : Array.from({ length: 2 + int(2) }, () => pick(SYLLABLES)).join('');
      if (options.short ? name.length >= 5 : name.length < (options.minLength ?? 5)) continue;
      if (lastNames.some((other) => editDistance(other, name) <= 2)) continue;
      lastNames.push(name);
      return name;
    }
  }
  const dobs = new Set<string>();
  const iso = (y: number, m: number, d: number) =>
    `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
  /** A date of birth no other pair has, nor has with day and month swapped. */
  function freshDob(options: { swappable?: boolean } = {}): string {
    for (;;) {
      const y = 1940 + int(60);
      const m = 1 + int(12);
      const d = options.swappable ? 1 + int(12) : 1 + int(28);
      if (options.swappable && d === m) continue;
      const dob = iso(y, m, d);
      const swapped = d <= 12 ? iso(y, d, m) : null;
      if (dobs.has(dob) || (swapped && dobs.has(swapped))) continue;
      dobs.add(dob);
      if (swapped) dobs.add(swapped);
      return dob;
    }
  }
  /** A date of birth of this pair other than `dob` and its day/month swap. */
  function otherDob(dob: string): string {
    const other = freshDob();
    return other === dob ? freshDob() : other;
  }
  const swapDayMonth = (dob: string) => `${dob.slice(0, 4)}-${dob.slice(8, 10)}-${dob.slice(5, 7)}`;
  let npiSerial = 100000 + int(800000);
  const freshNpi = () => {
    const first9 = `1${String(npiSerial++).padStart(8, '0')}`;
    return `${first9}${npiCheckDigit(first9)}`;
  };
  const first = () => pick(firstNames);
  const unrelatedFirst = (name: string) => {
    for (;;) {
      const other = first();
      if (!areRelated(name, other) && editDistance(name, other) > 1) return other;
    }
  };
  const middle = () => pick(MIDDLES.split(''));
  const title = (name: string) =>
    name
      .toLowerCase()
      .replace(/(^|[\s-])(\p{L})/gu, (_, sep: string, letter: string) => `${sep}${letter.toUpperCase()}`);

  // ── Edits of a last name ──────────────────────────────────────────────────────────────────────
  const edits = ['substitute', 'insert', 'delete', 'transpose'] as const;
  function oneEdit(name: string, edit: (typeof edits)[number]): string {
    const i = 1 + int(name.length - 2);
    switch (edit) {
      case 'substitute': {
        const letter =
          LETTERS.split('').find((l) => l !== name[i] && random() < 0.3) ?? (name[i] === 'A' ? 'E' : 'A');
        return name.slice(0, i) + letter + name.slice(i + 1);
      }
      case 'insert':
        return name.slice(0, i) + pick(LETTERS.split('')) + name.slice(i);
      case 'delete':
        return name.slice(0, i) + name.slice(i + 1);
      case 'transpose': {
        const positions = [...name]
          .map((_, k) => k)
          .filter((k) => k < name.length - 1 && name[k] !== name[k + 1]);
        if (positions.length === 0) return oneEdit(name, 'substitute');
        const k = pick(positions);
        return name.slice(0, k) + name[k + 1] + name[k] + name.slice(k + 2);
      }
    }
  }
  /** One edit that truly is one (an insert of the same letter twice over can be a no-op). */
  function edited(name: string, edit: (typeof edits)[number]): string {
    for (;;) {
      const result = oneEdit(name, edit);
      if (result !== name && editDistance(result, name) === 1) return result;
    }
  }

  // ── How a primary name may be written (every spelling normalizes to the same name, §4.5) ────
  const spellings = [
    (f: string, l: string) => ({ firstName: title(f), lastName: title(l) }),
    (f: string, l: string) => ({ firstName: f.toLowerCase(), lastName: ` ${l.toLowerCase()} ` }),
    (f: string, l: string) => ({ firstName: f, lastName: `${l} Jr.` }),
    (f: string, l: string) => ({
      firstName: title(f),
      lastName: `${title(l.slice(0, 1))}'${l.slice(1).toLowerCase()}`,
    }),
    (f: string, l: string) => ({ firstName: title(f), lastName: l.replace(/E/, 'É').replace(/A/, 'Á') }),
  ];

  const pairs: LabeledPair[] = [];
  const add = (rule: string, expected: MatchReason | null, person: LabeledPerson, record: LabeledRecord) =>
    pairs.push({
      id: `${rule}#${pairs.filter((p) => p.rule === rule).length + 1}`,
      rule,
      expected,
      person,
      record,
    });
  const leie = (
    f: string,
    l: string,
    dob: string | null,
    extra: Partial<LabeledRecord> = {},
  ): LabeledRecord => ({
    source: 'leie',
    entityKind: 'individual',
    firstName: f,
    lastName: l,
    dob,
    ...extra,
  });
  const listWithoutDob = () => pick(['sam', 'pa_medicheck', 'ca_medi_cal'] as const);
  const times = (n: number, make: (i: number) => void) => {
    for (let i = 0; i < n; i++) make(i);
  };

  // ── True variants ─────────────────────────────────────────────────────────────────────────────
  // npi: the same NPI whatever the names and DOBs say.
  times(15, () => {
    const npi = freshNpi();
    const dob = freshDob();
    add(
      'variant:npi',
      'npi',
      { firstName: first(), lastName: freshLast(), dateOfBirth: dob, npi },
      {
        ...leie(first(), freshLast(), random() < 0.5 ? dob : null),
        npi,
      },
    );
  });
  // name_dob: the same primary names, however written, and the same DOB.
  times(25, (i) => {
    const f = first();
    const l = freshLast();
    const dob = freshDob();
    const spelling = spellings[i % spellings.length] as (f: string, l: string) => LabeledPerson;
    const source = i % 3 === 0 ? pick(['sam', 'pa_medicheck', 'ca_medi_cal'] as const) : 'leie';
    add(
      'variant:name_dob',
      'name_dob',
      { ...spelling(f, l), dateOfBirth: dob },
      { ...leie(f, l, dob), source },
    );
  });
  // name_dob: either part of a hyphenated last name, on either side.
  times(10, (i) => {
    const f = first();
    const a = freshLast();
    const b = freshLast();
    const dob = freshDob();
    if (i % 2 === 0)
      add(
        'variant:hyphenated_last',
        'name_dob',
        { firstName: f, lastName: b, dateOfBirth: dob },
        leie(f, `${a}-${b}`, dob),
      );
    else
      add(
        'variant:hyphenated_last',
        'name_dob',
        { firstName: f, lastName: `${a}-${b}`, dateOfBirth: dob },
        leie(f, a, dob),
      );
  });
  // alias_dob: one of the person's other names (a former full name, "Last, First", a maiden last name).
  times(24, (i) => {
    const f = first();
    const former = freshLast();
    const married = freshLast();
    const dob = freshDob();
    const otherName = [
      `${title(f)} ${title(former)}`,
      `${former}, ${f}`,
      title(former),
      `${f} ${middle()} ${former}`,
    ][i % 4] as string;
    const otherNames = i % 2 === 0 ? [otherName] : [`${title(first())} ${title(freshLast())}`, otherName];
    add(
      'variant:person_other_name',
      'alias_dob',
      { firstName: title(f), lastName: title(married), dateOfBirth: dob, otherNames },
      leie(f, former, dob),
    );
  });
  // alias_dob: one of the record's aliases, with a DOB on both sides.
  times(10, () => {
    const f = first();
    const l = freshLast();
    const dob = freshDob();
    add(
      'variant:record_alias_dob',
      'alias_dob',
      { firstName: f, lastName: l, dateOfBirth: dob },
      {
        source: pick(['sam', 'ca_medi_cal'] as const),
        entityKind: 'individual',
        firstName: first(),
        lastName: freshLast(),
        aliases: [`${f} ${l}`],
        dob,
      },
    );
  });
  // nickname_dob: first names related in the nickname table (either way round), last and DOB equal.
  times(30, (i) => {
    const [name, nickname] = pick(nicknamePairs);
    const l = freshLast();
    const dob = freshDob();
    const [personFirst, recordFirst] = i % 2 === 0 ? [nickname, name] : [name, nickname];
    add(
      'variant:nickname',
      'nickname_dob',
      { firstName: title(personFirst), lastName: title(l), dateOfBirth: dob },
      leie(recordFirst, l, dob),
    );
  });
  // fuzzy_dob: last names of ≥ 5 letters one edit apart (each kind of edit), first and DOB equal.
  times(32, (i) => {
    const edit = edits[i % edits.length] as (typeof edits)[number];
    const f = first();
    // A deletion must leave ≥ 5 letters: start from ≥ 6.
    const l = freshLast({ minLength: edit === 'delete' ? 6 : 5 });
    const typo = edited(l, edit);
    const dob = freshDob();
    const [personLast, recordLast] = i % 2 === 0 ? [typo, l] : [l, typo];
    add(
      `variant:last_name_${edit}`,
      'fuzzy_dob',
      { firstName: f, lastName: personLast, dateOfBirth: dob },
      leie(f, recordLast, dob),
    );
  });
  // fuzzy_dob: first and last swapped, DOB equal.
  times(15, () => {
    const f = first();
    const l = freshLast();
    const dob = freshDob();
    add(
      'variant:names_swapped',
      'fuzzy_dob',
      { firstName: title(l), lastName: title(f), dateOfBirth: dob },
      leie(f, l, dob),
    );
  });
  // fuzzy_dob: names equal, DOB with day and month swapped.
  times(15, () => {
    const f = first();
    const l = freshLast();
    const dob = freshDob({ swappable: true });
    add(
      'variant:day_month_swapped',
      'fuzzy_dob',
      { firstName: f, lastName: l, dateOfBirth: swapDayMonth(dob) },
      leie(f, l, dob),
    );
  });
  // name: names equal, the person's DOB unknown (the record's known or not).
  times(12, (i) => {
    const f = first();
    const l = freshLast();
    const m = middle();
    add(
      'variant:name_person_without_dob',
      'name',
      { firstName: f, middleName: i % 2 ? m : null, lastName: l, dateOfBirth: null },
      {
        ...leie(f, l, i % 3 === 0 ? null : freshDob()),
        middleName: i % 3 === 1 ? null : m,
      },
    );
  });
  // name: names equal, a list without DOBs (SAM, PA, CA); middle initials agree or one is missing.
  times(20, (i) => {
    const f = first();
    const l = freshLast();
    const m = middle();
    add(
      'variant:name_list_without_dob',
      'name',
      {
        firstName: f,
        middleName: i % 3 === 0 ? null : i % 3 === 1 ? m : `${m}.`,
        lastName: l,
        dateOfBirth: freshDob(),
      },
      {
        source: listWithoutDob(),
        entityKind: 'individual',
        firstName: f,
        middleName: i % 3 === 2 ? `${m}ARK` : m,
        lastName: l,
      },
    );
  });
  // name: a record alias equals the person's name (lists without DOBs).
  times(12, (i) => {
    const f = first();
    const l = freshLast();
    add(
      'variant:name_record_alias',
      'name',
      { firstName: f, lastName: l, dateOfBirth: freshDob() },
      {
        source: listWithoutDob(),
        entityKind: 'individual',
        firstName: first(),
        lastName: freshLast(),
        aliases: i % 2 === 0 ? [`${f} ${l}`] : [`${title(first())} ${title(freshLast())}`, `${l}, ${f}`],
      },
    );
  });

  // ── Near misses: none may match ───────────────────────────────────────────────────────────────
  // Both DOBs known and different (not a day/month swap of each other), names equal or related.
  times(20, (i) => {
    const f = first();
    const l = freshLast();
    const dob = freshDob();
    const person = i % 4 === 3 ? { firstName: title(l), lastName: title(f) } : { firstName: f, lastName: l };
    add('near_miss:dob_differs', null, { ...person, dateOfBirth: dob }, leie(f, l, otherDob(dob)));
  });
  times(10, () => {
    const [name, nickname] = pick(nicknamePairs);
    const l = freshLast();
    const dob = freshDob();
    add(
      'near_miss:nickname_dob_differs',
      null,
      { firstName: nickname, lastName: l, dateOfBirth: dob },
      leie(name, l, otherDob(dob)),
    );
  });
  // A one-edit typo in a short (< 5 letters) last name.
  times(20, (i) => {
    const f = first();
    const l = freshLast({ short: true });
    const dob = freshDob();
    const edit = edits[i % edits.length] as (typeof edits)[number];
    add(
      'near_miss:short_last_one_edit',
      null,
      { firstName: f, lastName: edited(l, edit), dateOfBirth: dob },
      leie(f, l, dob),
    );
  });
  // Two edits in a long last name.
  times(20, (i) => {
    const f = first();
    const l = freshLast({ minLength: 7 });
    const dob = freshDob();
    let typo = l;
    while (editDistance(typo, l) !== 2) {
      typo = edited(
        edited(l, edits[i % edits.length] as (typeof edits)[number]),
        edits[(i + 1) % edits.length] as (typeof edits)[number],
      );
    }
    add(
      'near_miss:last_name_two_edits',
      null,
      { firstName: f, lastName: typo, dateOfBirth: dob },
      leie(f, l, dob),
    );
  });
  // Middle initials that disagree (a DOB missing on a side, so only `name` could apply).
  times(15, (i) => {
    const f = first();
    const l = freshLast();
    const m = middle();
    const other = MIDDLES.split('').find((c) => c !== m && random() < 0.3) ?? (m === 'A' ? 'B' : 'A');
    const record =
      i % 2 === 0
        ? leie(f, l, freshDob(), { middleName: `${other}${random() < 0.5 ? 'ANE' : ''}` })
        : {
            source: listWithoutDob(),
            entityKind: 'individual' as const,
            firstName: f,
            middleName: other,
            lastName: l,
          };
    add(
      'near_miss:middle_initials_disagree',
      null,
      { firstName: f, middleName: m, lastName: l, dateOfBirth: i % 2 === 0 ? null : freshDob() },
      record,
    );
  });
  // Business records, even with the person's name as business name or alias, or the same NPI.
  times(16, (i) => {
    const f = first();
    const l = freshLast();
    const npi = freshNpi();
    const dob = freshDob();
    const record: LabeledRecord =
      i % 2 === 0
        ? {
            source: 'leie',
            entityKind: 'business',
            businessName: `${f} ${l}`,
            npi,
            dob: i % 4 === 0 ? dob : null,
          }
        : {
            source: 'sam',
            entityKind: 'business',
            firstName: f,
            lastName: l,
            businessName: `${l} HOME CARE LLC`,
            aliases: [`${f} ${l}`],
            npi,
          };
    add('near_miss:business_record', null, { firstName: f, lastName: l, dateOfBirth: dob, npi }, record);
  });
  // Reinstated (LEIE) and ended (other lists) records.
  times(10, () => {
    const f = first();
    const l = freshLast();
    const dob = freshDob();
    const npi = freshNpi();
    add(
      'near_miss:reinstated',
      null,
      { firstName: f, lastName: l, dateOfBirth: dob, npi },
      leie(f, l, dob, { reinstatedOn: '2024-03-01', npi }),
    );
  });
  times(10, () => {
    const f = first();
    const l = freshLast();
    add(
      'near_miss:ended',
      null,
      { firstName: f, lastName: l, dateOfBirth: freshDob() },
      {
        source: listWithoutDob(),
        entityKind: 'individual',
        firstName: f,
        lastName: l,
        endsOn: '2023-06-30',
      },
    );
  });
  // Inactive people, whatever agrees.
  times(15, () => {
    const f = first();
    const l = freshLast();
    const dob = freshDob();
    const npi = freshNpi();
    add(
      'near_miss:inactive_person',
      null,
      { firstName: f, lastName: l, dateOfBirth: dob, npi, status: 'inactive' },
      leie(f, l, dob, { npi }),
    );
  });
  // First names neither equal nor related in the nickname table; a typo in the first name.
  times(15, () => {
    const f = first();
    const l = freshLast();
    const dob = freshDob();
    add(
      'near_miss:first_name_unrelated',
      null,
      { firstName: unrelatedFirst(f), lastName: l, dateOfBirth: dob },
      leie(f, l, dob),
    );
  });
  times(10, (i) => {
    const f = first();
    const l = freshLast();
    const dob = freshDob();
    let typo = f;
    // A typo that happens to be a nickname of the name (ROB → BOB) is a nickname, not a near miss.
    while (areRelated(typo, f)) typo = edited(f, edits[i % edits.length] as (typeof edits)[number]);
    add(
      'near_miss:first_name_one_edit',
      null,
      { firstName: typo, lastName: l, dateOfBirth: dob },
      leie(f, l, dob),
    );
  });
  // A last name one edit apart but the first name differing too.
  times(10, () => {
    const f = first();
    const l = freshLast();
    const dob = freshDob();
    add(
      'near_miss:one_edit_other_first',
      null,
      { firstName: unrelatedFirst(f), lastName: edited(l, 'substitute'), dateOfBirth: dob },
      leie(f, l, dob),
    );
  });
  return { seed, pairs };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const out = process.argv[2] ?? 'test/fixtures/matching-labeled-set.json';
  const seed = Number(process.argv[3] ?? 23);
  const set = generateMatchingSet(seed);
  fs.writeFileSync(out, `${JSON.stringify(set, null, 1)}\n`);
  const byRule = new Map<string, number>();
  for (const pair of set.pairs) byRule.set(pair.rule, (byRule.get(pair.rule) ?? 0) + 1);
  process.stdout.write(`${set.pairs.length} pairs → ${out}\n`);
  for (const [rule, n] of byRule) process.stdout.write(`  ${rule}: ${n}\n`);
}
