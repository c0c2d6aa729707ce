import assert from 'node:assert/strict';
import { ExclusionSourceFailureType } from '../../../domain/exclusion-sources/failures';
import { PA_MEDICHECK_COLUMNS, paMedicheckAdapter } from '../../../domain/exclusion-sources/pa-medicheck';
import type { ExclusionRecord } from '../../../domain/exclusion-sources/source';
import { fixture, readAll } from './read-all';

function row(fields: Partial<Record<(typeof PA_MEDICHECK_COLUMNS)[number], string>> = {}) {
  return {
    ...Object.fromEntries(PA_MEDICHECK_COLUMNS.map((column) => [column, ''])),
    NAM_LAST_PROVR: 'DOE',
    NAM_FIRST_PROVR: 'JANE',
    Status: 'Precluded',
    BeginDate: '02/01/2023 00:00:00',
    ListDate: '02/15/2023 00:00:00',
    CAO: 'Erie',
    ...fields,
  };
}

function parsed(fields: Parameters<typeof row>[0] = {}): ExclusionRecord {
  const result = paMedicheckAdapter.parseRow(row(fields));
  if ('rejected' in result) assert.fail(`rejected: ${result.rejected}`);
  return result;
}

describe('Pennsylvania Medicheck adapter', () => {
  it('reads each kind of row of the fixture', async () => {
    const { records } = await readAll(paMedicheckAdapter, fixture('pa-medicheck.csv'));
    const expected: Partial<ExclusionRecord>[] = [
      {
        entityKind: 'individual',
        lastName: 'EXAMPLEPERSON',
        firstName: 'DANA',
        middleName: 'L',
        aliases: ['DANA LEE SAMPLEWOOD'],
        startsOn: '2023-02-01',
        endsOn: null,
        exclusionType: 'Precluded',
        state: null,
        dob: null,
      },
      { entityKind: 'business', businessName: 'SAMPLE PHARMACY INC', lastName: null, aliases: [] },
      { lastName: 'ENDEDSAMPLE', startsOn: '2015-01-01', endsOn: '2020-01-01' },
      { lastName: 'NPIPERSON', npi: '1234567893', startsOn: '2022-07-04', endsOn: '2099-12-31' },
      { lastName: 'SMITH, JR', firstName: 'MARY' },
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

  it('rejects and counts rows with a wrong date or no name', async () => {
    const { reader } = await readAll(paMedicheckAdapter, fixture('pa-medicheck.csv'));
    assert.deepEqual(
      reader.rejections.map((r) => r.row),
      [7, 8, 9, 10],
    );
    assert.match(
      reader.rejections[0]?.reason ?? '',
      /BeginDate "2023-02-01" is not a date MM\/DD\/YYYY HH:MM:SS/,
    );
    assert.match(reader.rejections[1]?.reason ?? '', /EndDate "02\/30\/2023 00:00:00"/);
    assert.match(reader.rejections[2]?.reason ?? '', /BeginDate "02\/01\/2023 25:00:00"/);
    assert.match(reader.rejections[3]?.reason ?? '', /without a provider or business name/);
  });

  const dates: [string, string | null][] = [
    ['02/01/2023 00:00:00', '2023-02-01'],
    ['2/1/2023 23:59:59', '2023-02-01'],
    ['02/01/2023', '2023-02-01'],
    ['', null],
  ];
  for (const [text, iso] of dates) {
    it(`reads the EndDate "${text}" as ${iso}`, () => assert.equal(parsed({ EndDate: text }).endsOn, iso));
  }
  for (const text of ['2023-02-01 00:00:00', '02/01/2023 00:61:00', '02/01/23 00:00:00', 'ongoing']) {
    it(`rejects the row with the EndDate "${text}"`, () => {
      const result = paMedicheckAdapter.parseRow(row({ EndDate: text }));
      assert.ok('rejected' in result && /EndDate/.test(result.rejected));
    });
  }

  describe('exclusion key', () => {
    const base = parsed().exclusionKey;
    for (const [what, fields] of [
      ['the end date', { EndDate: '01/01/2030 00:00:00' }],
      ['the list date and office', { ListDate: '03/01/2023 00:00:00', CAO: 'Philadelphia' }],
      ['the title and alternative name', { NAM_TITLE_PROVR: 'RN', NAM_PROVR_ALT: 'J DOE' }],
    ] as const) {
      it(`survives a change of ${what}`, () => assert.equal(parsed(fields).exclusionKey, base));
    }
    for (const [what, fields] of [
      ['the last name', { NAM_LAST_PROVR: 'ROE' }],
      ['the NPI', { IDN_NPI: '1234567893' }],
      ['the licence', { LicenseNumber: 'RN1' }],
      ['the FEIN', { NBR_FEIN: '11-1111111' }],
      ['the begin date', { BeginDate: '02/02/2023 00:00:00' }],
    ] as const) {
      it(`changes with ${what}`, () => assert.notEqual(parsed(fields).exclusionKey, base));
    }
  });

  it('refuses a file without a required column, naming it', async () => {
    const header = PA_MEDICHECK_COLUMNS.filter((c) => c !== 'EndDate').join(',');
    await assert.rejects(
      readAll(paMedicheckAdapter, `${header}\r\nDOE,JANE\r\n`),
      (error: Error & { type?: string }) => {
        assert.equal(error.type, ExclusionSourceFailureType.missingColumn);
        assert.match(error.message, /Pennsylvania Medicheck: .*"EndDate"/);
        return true;
      },
    );
  });
});
