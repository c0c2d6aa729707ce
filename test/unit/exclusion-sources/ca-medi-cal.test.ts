import assert from 'node:assert/strict';
import {
  CA_MEDI_CAL_COLUMNS,
  caAliases,
  caMediCalAdapter,
} from '../../../domain/exclusion-sources/ca-medi-cal';
import { ExclusionSourceFailureType } from '../../../domain/exclusion-sources/failures';
import type { ExclusionRecord } from '../../../domain/exclusion-sources/source';
import { fixture, readAll } from './read-all';

describe('California Medi-Cal adapter', () => {
  it('reads each kind of row of the fixture', async () => {
    const { records } = await readAll(caMediCalAdapter, fixture('ca-medi-cal.csv'));
    const expected: Partial<ExclusionRecord>[] = [
      {
        entityKind: 'individual',
        lastName: 'SAMPLERSON',
        firstName: 'JORDAN',
        middleName: 'K',
        businessName: null,
        aliases: ['JORDAN SMITHSAMPLE'],
        npi: null,
        state: 'CA',
        startsOn: '2021-03-15',
        endsOn: null,
      },
      { entityKind: 'business', lastName: null, firstName: null, businessName: 'SAMPLE CLINIC', aliases: [] },
      {
        lastName: 'MULTINAME',
        middleName: null,
        aliases: ['CASEY M MULTINAME', 'KC MULTINAME'],
        npi: '1234567893',
        state: 'NV',
        endsOn: '2028-01-02',
      },
      { lastName: 'PERIODTEXT', endsOn: null, state: null },
    ];
    assert.equal(records.length, expected.length);
    expected.forEach((fields, index) => {
      for (const [field, value] of Object.entries(fields)) {
        assert.deepEqual(
          records[index]?.record[field as keyof ExclusionRecord],
          value,
          `row ${index + 2} ${field}`,
        );
      }
    });
  });

  it('rejects and counts a wrong date and a row without a name', async () => {
    const { reader } = await readAll(caMediCalAdapter, fixture('ca-medi-cal.csv'));
    assert.deepEqual(reader.rejections, [
      { row: 6, reason: 'Date of Suspension "2021-03-15" is not a date MM/DD/YYYY' },
      { row: 7, reason: 'a row without a provider or business name' },
    ]);
  });

  it('reads a list saved as Windows-1252 (Excel on Windows)', async () => {
    const { records, reader } = await readAll(caMediCalAdapter, fixture('ca-medi-cal-windows-1252.csv'));
    assert.equal(reader.encoding, 'windows-1252');
    assert.deepEqual(
      records.map((r) => [r.record.lastName, r.record.firstName, r.record.aliases, r.record.businessName]),
      [
        ['MUÑOZ', 'JOSÉ', ['JOSÉ MUÑOZ-PEÑA'], null],
        [null, null, [], 'CAFÉ CLÍNICA SAMPLE'],
      ],
    );
  });

  it('matches the header ignoring case and punctuation', async () => {
    const header =
      'LAST NAME,first_name,Middle-Name,AKA (Also Known As),DBA (Doing Business As),Addresses,Provider type,' +
      'License Numbers,Provider Numbers,Date Of Suspension,ACTIVE PERIOD';
    const body = fixture('ca-medi-cal.csv')
      .toString('utf8')
      .replace(/^[^\r\n]*/, header);
    const { records } = await readAll(caMediCalAdapter, body);
    assert.equal(records[0]?.record.aliases[0], 'JORDAN SMITHSAMPLE');
  });

  it('refuses a file without a required column, naming it', async () => {
    const header = CA_MEDI_CAL_COLUMNS.filter((c) => c !== 'Date of Suspension').join(',');
    await assert.rejects(
      readAll(caMediCalAdapter, `${header}\r\nA,B\r\n`),
      (error: Error & { type?: string }) => {
        assert.equal(error.type, ExclusionSourceFailureType.missingColumn);
        assert.match(error.message, /"Date of Suspension"/);
        return true;
      },
    );
  });

  const aliases: [string, string[]][] = [
    ['N/A', []],
    ['', []],
    ['JOHN DOE', ['JOHN DOE']],
    ['JOHN DOE; JACK DOE', ['JOHN DOE', 'JACK DOE']],
    ['JOHN DOE\nJACK DOE', ['JOHN DOE', 'JACK DOE']],
    ['JOHN DOE AKA JACK DOE', ['JOHN DOE', 'JACK DOE']],
    ['JOHN DOE a/k/a JACK DOE', ['JOHN DOE', 'JACK DOE']],
    ['DOE, JOHN', ['DOE, JOHN']],
    ['NAKAMURA', ['NAKAMURA']],
  ];
  for (const [text, names] of aliases) {
    it(`reads the A/K/A ${JSON.stringify(text)}`, () => assert.deepEqual(caAliases(text), names));
  }

  describe('exclusion key', () => {
    const row = (fields: Record<string, string> = {}) => {
      const values = Object.fromEntries(CA_MEDI_CAL_COLUMNS.map((c) => [c, 'N/A']));
      const result = caMediCalAdapter.parseRow({
        ...values,
        'Last Name': 'DOE',
        'First Name': 'JANE',
        'Provider Type': 'Registered Nurse',
        'License Number(s)': 'RN 1',
        'Date of Suspension': '3/15/2021',
        'Active Period': 'Indefinite',
        ...fields,
      });
      if ('rejected' in result) assert.fail(result.rejected);
      return result.exclusionKey;
    };
    const base = row();
    it('survives a correction of the address, the aliases or the period', () => {
      assert.equal(row({ 'Address(es)': '9 NEW ST, FRESNO, CA 93721' }), base);
      assert.equal(row({ 'A/K/A (also known as)': 'JANIE DOE' }), base);
      assert.equal(row({ 'Active Period': '1/1/2030' }), base);
    });
    it('changes with the names, licence, provider numbers and suspension date', () => {
      assert.notEqual(row({ 'Last Name': 'ROE' }), base);
      assert.notEqual(row({ 'License Number(s)': 'RN 2' }), base);
      assert.notEqual(row({ 'Provider Number(s)': '1234567893' }), base);
      assert.notEqual(row({ 'Date of Suspension': '3/16/2021' }), base);
    });
  });
});
