import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isValidNpi, npiCheckDigit } from '../../domain/npi';
import {
  headerKey,
  mapHeader,
  neutralizeCsvCell,
  parseRosterDate,
  validateRosterRow,
} from '../../domain/roster-row';

const today = '2026-11-23';

describe('roster rows (docs/spec.md §4.2, pure rules)', () => {
  describe('header matching', () => {
    it('ignores case, spaces, _ and - and knows the common aliases', () => {
      const cases: [string, string][] = [
        ['First Name', 'first_name'],
        ['FIRSTNAME', 'first_name'],
        ['first-name', 'first_name'],
        ['Last_Name', 'last_name'],
        ['Employee ID', 'external_id'],
        ['DOB', 'date_of_birth'],
        ['Birth Date', 'date_of_birth'],
        ['E-mail', 'email'],
        ['NPI Number', 'npi'],
        ['Hire Date', 'hire_date'],
      ];
      for (const [header, column] of cases) {
        assert.equal(mapHeader('employees', [header]).columns[0], column, header);
      }
      assert.equal(mapHeader('patients', ['MRN']).columns[0], 'external_id');
      assert.equal(mapHeader('employees', ['MRN']).columns[0], null, 'MRN is a patient id only');
    });

    it('strips a BOM from the first header', () => {
      assert.equal(headerKey('\uFEFFFirst Name'), 'firstname');
    });

    it('lists unknown columns and names the missing required ones', () => {
      const mapping = mapHeader('employees', [
        'First Name',
        'Shoe Size',
        'Last Name',
        'Employee ID',
        'first name',
      ]);
      assert.deepEqual(mapping.columns, ['first_name', null, 'last_name', 'external_id', null]);
      assert.deepEqual(mapping.unknown, ['Shoe Size', 'first name']);
      assert.deepEqual(mapping.missing, []);
      assert.deepEqual(mapHeader('employees', ['First Name', 'Last Name']).missing, ['external_id|email']);
      assert.deepEqual(mapHeader('caregivers', ['Email', 'Last']).missing, ['first_name']);
      assert.deepEqual(mapHeader('patients', ['MRN', 'First Name', 'Last Name']).missing, ['date_of_birth']);
    });
  });

  describe('dates', () => {
    const table: [string, string | null][] = [
      ['2020-02-29', '2020-02-29'],
      ['02/29/2020', '2020-02-29'],
      ['2/9/2020', '2020-02-09'],
      ['20200229', '2020-02-29'],
      ['02/30/2020', null],
      ['2020-13-01', null],
      ['2021-02-29', null],
      ['tomorrow', null],
      ['2020-1-1', null],
      ['13/01/2020', null],
      ['', null],
    ];
    for (const [input, expected] of table) {
      it(`${JSON.stringify(input)} → ${expected}`, () => assert.equal(parseRosterDate(input), expected));
    }
    it('reads Excel date cells (UTC midnights)', () => {
      assert.equal(parseRosterDate(new Date(Date.UTC(1984, 6, 4))), '1984-07-04');
    });
    it('round-trips every real calendar date in every accepted text format', () => {
      fc.assert(
        fc.property(
          fc.date({ min: new Date('1900-01-01'), max: new Date('2100-12-31'), noInvalidDate: true }),
          (d) => {
            const iso = d.toISOString().slice(0, 10);
            const [y, m, day] = iso.split('-');
            assert.equal(parseRosterDate(iso), iso);
            assert.equal(parseRosterDate(`${m}/${day}/${y}`), iso);
            assert.equal(parseRosterDate(`${Number(m)}/${Number(day)}/${y}`), iso);
            assert.equal(parseRosterDate(`${y}${m}${day}`), iso);
          },
        ),
      );
    });
  });

  describe('NPI', () => {
    it('accepts CMS example NPIs and rejects a wrong check digit', () => {
      assert.equal(isValidNpi('1234567893'), true);
      assert.equal(isValidNpi('1245319599'), true);
      assert.equal(isValidNpi('1234567890'), false);
      assert.equal(isValidNpi('123456789'), false);
      assert.equal(isValidNpi('12345678934'), false);
      assert.equal(isValidNpi('12345678a3'), false);
    });
    it('a valid NPI becomes invalid when any single digit changes', () => {
      fc.assert(
        fc.property(
          fc.stringMatching(/^[12]\d{8}$/),
          fc.integer({ min: 0, max: 9 }),
          fc.integer({ min: 1, max: 9 }),
          (first9, position, delta) => {
            const npi = `${first9}${npiCheckDigit(first9)}`;
            assert.equal(isValidNpi(npi), true);
            const digits = npi.split('');
            digits[position] = String((Number(digits[position]) + delta) % 10);
            assert.equal(isValidNpi(digits.join('')), false);
          },
        ),
      );
    });
  });

  describe('validateRosterRow', () => {
    it('keeps values as given, trimmed; numbers keep their digits', () => {
      const result = validateRosterRow(
        'employees',
        {
          external_id: '  00123 ',
          first_name: ' Ann ',
          last_name: 'Lee',
          npi: 1234567893,
          date_of_birth: '4/1/1980',
        },
        { today },
      );
      assert.ok(result.ok);
      assert.deepEqual(result.record, {
        external_id: '00123',
        first_name: 'Ann',
        last_name: 'Lee',
        npi: '1234567893',
        date_of_birth: '1980-04-01',
      });
      assert.equal(result.key, 'x:00123');
    });

    it('keys by lower-cased email when there is no external id', () => {
      const result = validateRosterRow(
        'caregivers',
        { first_name: 'A', last_name: 'B', email: 'Ann@X.org' },
        { today },
      );
      assert.ok(result.ok);
      assert.equal(result.key, 'e:ann@x.org');
    });

    it('rejects the whole row and reports every bad column', () => {
      const result = validateRosterRow(
        'employees',
        {
          external_id: 'E1',
          first_name: '',
          last_name: 'Lee',
          npi: '1234567890',
          date_of_birth: '02/30/2020',
          hire_date: 'tomorrow',
          email: 'not-an-email',
        },
        { today },
      );
      assert.ok(!result.ok);
      assert.deepEqual(
        result.errors.map((e) => [e.column, e.code]).sort(),
        [
          ['date_of_birth', 'invalid_date'],
          ['email', 'invalid_email'],
          ['first_name', 'required'],
          ['hire_date', 'invalid_date'],
          ['npi', 'invalid_npi'],
        ].sort(),
      );
    });

    it('needs external_id or email for people, MRN and DOB for patients', () => {
      const person = validateRosterRow('employees', { first_name: 'A', last_name: 'B' }, { today });
      assert.ok(!person.ok);
      assert.deepEqual(
        person.errors.map((e) => e.code),
        ['missing_key'],
      );
      const patient = validateRosterRow('patients', { first_name: 'A', last_name: 'B' }, { today });
      assert.ok(!patient.ok);
      assert.deepEqual(patient.errors.map((e) => e.column).sort(), ['date_of_birth', 'external_id']);
    });

    it('rejects a 1 MB field as too_long, a name without letters, a birth date in the future', () => {
      const result = validateRosterRow(
        'employees',
        {
          external_id: 'E1',
          first_name: '---',
          last_name: 'B',
          title: 'x'.repeat(1024 * 1024),
          date_of_birth: '2030-01-01',
        },
        { today },
      );
      assert.ok(!result.ok);
      assert.deepEqual(result.errors.map((e) => e.code).sort(), ['invalid_date', 'invalid_name', 'too_long']);
      const tooLong = result.errors.find((e) => e.code === 'too_long');
      assert.ok(tooLong?.value && tooLong.value.length < 300, 'the reported value is truncated');
    });

    it('rejects a value holding a NUL character, reporting it with U+FFFD (Postgres text cannot hold U+0000)', () => {
      const result = validateRosterRow(
        'employees',
        { external_id: 'E\u00001', first_name: 'An\u0000n', last_name: 'Lee', title: 'Nurse' },
        { today },
      );
      assert.ok(!result.ok);
      assert.deepEqual(
        result.errors.map((e) => [e.column, e.code, e.value]),
        [
          ['external_id', 'invalid_character', 'E\uFFFD1'],
          ['first_name', 'invalid_character', 'An\uFFFDn'],
        ],
      );
      assert.ok(Object.values(result.record).every((value) => !value?.includes('\u0000')));
    });

    it('stores formula-looking values as given (only CSV exports neutralize them)', () => {
      const result = validateRosterRow(
        'employees',
        { external_id: 'E1', first_name: "=cmd|' /C calc'!A0", last_name: 'B' },
        { today },
      );
      assert.ok(result.ok);
      assert.equal(result.record.first_name, "=cmd|' /C calc'!A0");
    });
  });

  it('neutralizes CSV cells starting with = + - @ (and only those)', () => {
    assert.equal(neutralizeCsvCell('=cmd|x'), "'=cmd|x");
    assert.equal(neutralizeCsvCell('+1'), "'+1");
    assert.equal(neutralizeCsvCell('-2'), "'-2");
    assert.equal(neutralizeCsvCell('@SUM(A1)'), "'@SUM(A1)");
    assert.equal(neutralizeCsvCell('Ann'), 'Ann');
    fc.assert(
      fc.property(fc.string(), (value) => {
        assert.equal(/^[=+\-@\t\r]/.test(neutralizeCsvCell(value)), false);
      }),
    );
  });
});
