import assert from 'node:assert/strict';
import { ExclusionSourceFailureType } from '../../../domain/exclusion-sources/failures';
import { SAM_COLUMNS, samAdapter, samAliases } from '../../../domain/exclusion-sources/sam';
import type { ExclusionRecord } from '../../../domain/exclusion-sources/source';
import { fixture, readAll } from './read-all';

/** A SAM row as the adapter receives it (every column named), with `fields` replaced. */
function samRow(fields: Record<string, string> = {}): Record<string, string> {
  const row: Record<string, string> = Object.fromEntries(SAM_COLUMNS.map((column) => [column, '']));
  return {
    ...row,
    Classification: 'Individual',
    First: 'JOHN',
    Middle: 'A',
    Last: 'DOE',
    'Address 1': '1 MAIN ST',
    City: 'SPRINGFIELD',
    'State / Province': 'IL',
    'Excluding Agency': 'HHS',
    'Exclusion Type': 'Prohibition/Restriction',
    'Additional Comments': '',
    'Active Date': '03/14/2022',
    'Termination Date': 'Indefinite',
    'SAM Number': 'S4MR00001',
    ...fields,
  };
}

function parsed(fields: Record<string, string> = {}): ExclusionRecord {
  const result = samAdapter.parseRow(samRow(fields));
  if ('rejected' in result) assert.fail(`rejected: ${result.rejected}`);
  return result;
}

function rejection(fields: Record<string, string>): string {
  const result = samAdapter.parseRow(samRow(fields));
  assert.ok('rejected' in result, 'the row is rejected');
  return result.rejected;
}

describe('SAM.gov exclusions adapter', () => {
  describe('the fixture extract', () => {
    const expected: [string, Partial<ExclusionRecord>][] = [
      [
        'an individual with aliases and an Indefinite termination',
        {
          entityKind: 'individual',
          firstName: 'SAMPLE',
          middleName: 'Q',
          lastName: 'EXAMPLEPERSON',
          businessName: null,
          aliases: ['SAMMY EXAMPLEPERSON', 'Q SAMPLE EXAMPLE'],
          state: 'IL',
          startsOn: '2022-03-14',
          endsOn: null,
          npi: null,
          dob: null,
        },
      ],
      ['an individual whose termination passed', { lastName: 'TESTCASE', endsOn: '2024-01-05' }],
      [
        'a firm',
        { entityKind: 'business', businessName: 'SAMPLE HOME HEALTH LLC', firstName: null, lastName: null },
      ],
      [
        'the `-` and `XX` placeholders as none',
        { lastName: 'ROWEXAMPLE', middleName: null, state: null, npi: null, aliases: [] },
      ],
      [
        'a vessel',
        { entityKind: 'business', businessName: 'SAMPLE VESSEL ONE', aliases: ['SAMPLE VESSEL 1'] },
      ],
      ['a special entity designation', { entityKind: 'business', businessName: 'SAMPLE DESIGNATED ENTITY' }],
      [
        'an individual with an NPI and a future termination',
        {
          lastName: 'ENDSON',
          npi: '1234567893',
          endsOn: '2099-12-31',
          exclusionType: 'Ineligible (Proceedings Pending)',
        },
      ],
    ];

    it('yields each kind of row as its record', async () => {
      const { records } = await readAll(samAdapter, fixture('sam.csv'));
      expected.forEach(([what, fields], index) => {
        const record = records[index]?.record;
        assert.ok(record, what);
        for (const [field, value] of Object.entries(fields)) {
          assert.deepEqual(record[field as keyof ExclusionRecord], value, `${what}: ${field}`);
        }
      });
    });

    it('rejects and counts the rows with an unknown Classification or a wrong date, not the file', async () => {
      const { records, reader } = await readAll(samAdapter, fixture('sam.csv'));
      assert.equal(reader.rows, 11);
      assert.equal(records.length, 8);
      assert.equal(reader.rejectedCount, 3);
      assert.deepEqual(
        reader.rejections.map((r) => r.row),
        [9, 10, 11],
      );
      assert.match(reader.rejections[0]?.reason ?? '', /unknown Classification "Partnership"/);
      assert.match(reader.rejections[1]?.reason ?? '', /Active Date "2022-03-14" is not a date MM\/DD\/YYYY/);
      assert.match(reader.rejections[2]?.reason ?? '', /Termination Date "13\/45\/2020"/);
    });

    it('numbers a repeated record #2 in file order', async () => {
      const { records } = await readAll(samAdapter, fixture('sam.csv'));
      const first = records[6];
      const repeat = records[7];
      assert.equal(repeat?.row, 12);
      assert.equal(repeat?.record.exclusionKey, `${first?.record.exclusionKey}#2`);
    });
  });

  describe('rows', () => {
    const dates: [string, string, string | null][] = [
      ['MM/DD/YYYY', '03/14/2022', '2022-03-14'],
      ['one-digit month and day', '3/4/2022', '2022-03-04'],
      ['a leap day', '02/29/2024', '2024-02-29'],
      ['empty', '', null],
      ['`-`', '-', null],
    ];
    for (const [what, value, iso] of dates) {
      it(`reads an Active Date ${what} as ${iso}`, () =>
        assert.equal(parsed({ 'Active Date': value }).startsOn, iso));
    }
    const wrongDates = ['2022-03-14', '14/03/2022', '02/30/2023', '03/14/22', 'March 14, 2022', '00/00/0000'];
    for (const value of wrongDates) {
      it(`rejects the row with an Active Date "${value}"`, () =>
        assert.match(rejection({ 'Active Date': value }), /Active Date/));
      it(`rejects the row with a Termination Date "${value}"`, () =>
        assert.match(rejection({ 'Termination Date': value }), /Termination Date/));
    }
    for (const value of ['Indefinite', 'INDEFINITE', '-', '']) {
      it(`reads the Termination Date "${value}" as no end`, () =>
        assert.equal(parsed({ 'Termination Date': value }).endsOn, null));
    }

    for (const classification of ['Individual', 'Firm', 'Vessel', 'Special Entity Designation', 'FIRM']) {
      it(`knows the Classification "${classification}"`, () => {
        const record = parsed({ Classification: classification, Name: 'SOME NAME' });
        assert.equal(record.entityKind, /^individual$/i.test(classification) ? 'individual' : 'business');
      });
    }
    for (const classification of ['', 'Partnership', 'Person', '-']) {
      it(`rejects the Classification "${classification}"`, () =>
        assert.match(rejection({ Classification: classification }), /unknown Classification/));
    }

    it('rejects an individual without a name and a firm without a Name', () => {
      assert.match(rejection({ First: '', Middle: '', Last: '-' }), /without a name/);
      assert.match(rejection({ Classification: 'Firm', Name: '' }), /without a name/);
    });

    it('keeps a firm row’s person-name columns out of the record', () => {
      const record = parsed({ Classification: 'Firm', Name: 'ACME LLC', First: 'JOHN', Last: 'DOE' });
      assert.deepEqual([record.firstName, record.lastName, record.businessName], [null, null, 'ACME LLC']);
    });

    it('keeps an individual row’s Name out of the business name', () => {
      assert.equal(parsed({ Name: 'JOHN A DOE' }).businessName, null);
    });

    it('reads only a ten-digit NPI', () => {
      assert.equal(parsed({ NPI: '1234567893' }).npi, '1234567893');
      assert.equal(parsed({ NPI: '12345' }).npi, null);
      assert.equal(parsed({ NPI: '-' }).npi, null);
    });
  });

  describe('Cross-Reference aliases', () => {
    const cases: [string, string[]][] = [
      ['(also JOHN A DOE, JACK DOE)', ['JOHN A DOE', 'JACK DOE']],
      ['(also JOHN A DOE)', ['JOHN A DOE']],
      ['(ALSO JOHN DOE; J DOE)', ['JOHN DOE', 'J DOE']],
      ['also JOHN DOE', ['JOHN DOE']],
      ['(a.k.a. JOHNNY DOE)', ['JOHNNY DOE']],
      ['-', []],
      ['', []],
    ];
    for (const [text, aliases] of cases) {
      it(`reads ${JSON.stringify(text)}`, () => assert.deepEqual(samAliases(text), aliases));
    }
  });

  describe('exclusion key', () => {
    const base = parsed().exclusionKey;
    it('is a sha256', () => assert.match(base, /^[0-9a-f]{64}$/));
    const kept: [string, Record<string, string>][] = [
      ['the address', { 'Address 1': '2 OTHER ST', City: 'CHICAGO', 'Zip Code': '60601' }],
      ['the comments', { 'Additional Comments': 'corrected' }],
      ['the termination date', { 'Termination Date': '12/31/2030' }],
      ['the aliases', { 'Cross-Reference': '(also JD)' }],
      ['the state', { 'State / Province': 'WI' }],
      ['the letter case', { First: 'John', Last: 'Doe' }],
    ];
    for (const [what, fields] of kept) {
      it(`survives a correction of ${what}`, () => assert.equal(parsed(fields).exclusionKey, base));
    }
    const changed: [string, Record<string, string>][] = [
      ['the first name', { First: 'JANE' }],
      ['the middle name', { Middle: 'B' }],
      ['the last name', { Last: 'ROE' }],
      ['the NPI', { NPI: '1234567893' }],
      ['the active date', { 'Active Date': '03/15/2022' }],
      ['the unique entity id', { 'Unique Entity ID': 'UEI000000001' }],
      ['the SAM number', { 'SAM Number': 'S4MR00002' }],
      ['the CAGE', { CAGE: '1ABC2' }],
    ];
    for (const [what, fields] of changed) {
      it(`changes with ${what}`, () => assert.notEqual(parsed(fields).exclusionKey, base));
    }
  });

  describe('header', () => {
    const header = SAM_COLUMNS.map((c) => `"${c}"`).join(',');
    const row = fixture('sam.csv').toString('utf8').split('\r\n')[1];

    it('accepts the header in any case and spacing', async () => {
      const { records } = await readAll(
        samAdapter,
        `${header.toUpperCase().replaceAll(' / ', '/')}\r\n${row}\r\n`,
      );
      assert.equal(records.length, 1);
    });

    for (const missing of ['Classification', 'Termination Date', 'Cross-Reference', 'NPI']) {
      it(`refuses the file without "${missing}", naming the column`, async () => {
        const without = SAM_COLUMNS.filter((c) => c !== missing)
          .map((c) => `"${c}"`)
          .join(',');
        await assert.rejects(
          readAll(samAdapter, `${without}\r\n${row}\r\n`),
          (error: Error & { type?: string }) => {
            assert.equal(error.type, ExclusionSourceFailureType.missingColumn);
            assert.match(error.message, new RegExp(`SAM\\.gov Exclusions: .*"${missing}"`));
            return true;
          },
        );
      });
    }
  });
});
