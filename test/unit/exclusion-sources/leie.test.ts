import assert from 'node:assert/strict';
import fc from 'fast-check';
import { QueryTypes } from 'sequelize';
import { ExclusionSourceFailureType } from '../../../domain/exclusion-sources/failures';
import { leieAdapter } from '../../../domain/exclusion-sources/leie';
import type { ExclusionRecord } from '../../../domain/exclusion-sources/source';
import { LEIE_COLUMNS } from '../../../domain/leie';
import { stack } from '../../support/stack';
import { fixture, readAll } from './read-all';

type LeieRow = Record<(typeof LEIE_COLUMNS)[number], string>;

function leieRow(fields: Partial<LeieRow> = {}): LeieRow {
  return { ...(Object.fromEntries(LEIE_COLUMNS.map((c) => [c, ''])) as LeieRow), ...fields };
}

function parsed(fields: Partial<LeieRow>): ExclusionRecord {
  const result = leieAdapter.parseRow(leieRow(fields));
  if ('rejected' in result) assert.fail(result.rejected);
  return result;
}

describe('LEIE adapter', () => {
  it('reads the published rows and every kind of field', async () => {
    const { records, reader } = await readAll(leieAdapter, fixture('leie.csv'));
    assert.equal(reader.rejectedCount, 0);
    assert.equal(records.length, 8);
    const expected: [number, Partial<ExclusionRecord>][] = [
      [
        0,
        {
          entityKind: 'business',
          businessName: '#1 MARKETING SERVICE, INC',
          npi: null,
          startsOn: '2020-03-19',
        },
      ],
      [2, { npi: '1972902351', state: 'NY', exclusionType: '1128b8' }],
      [
        5,
        {
          entityKind: 'individual',
          lastName: 'SAMPLEMAN',
          firstName: 'ROBIN',
          middleName: 'R',
          dob: '1970-01-01',
          npi: '1234567893',
          startsOn: '2020-01-15',
          endsOn: null,
          aliases: [],
        },
      ],
      [6, { lastName: 'DATEBAD', npi: null, dob: null, startsOn: null }],
      [7, { lastName: 'REINSTATED', endsOn: '2015-01-01' }],
    ];
    for (const [index, fields] of expected) {
      for (const [field, value] of Object.entries(fields)) {
        assert.deepEqual(
          records[index]?.record[field as keyof ExclusionRecord],
          value,
          `record ${index} ${field}`,
        );
      }
    }
  });

  it('keeps a row with an invalid date, as the SQL import does', () => {
    const record = parsed({ LASTNAME: 'DOE', DOB: '19990230', EXCLDATE: '2023-01-01' });
    assert.deepEqual([record.dob, record.startsOn], [null, null]);
  });

  it('refuses a header that is not the LEIE’s, naming the column', async () => {
    const header = LEIE_COLUMNS.join(',').replace('EXCLDATE', 'EXCL_DATE');
    await assert.rejects(readAll(leieAdapter, `${header}\r\n`), (error: Error & { type?: string }) => {
      assert.equal(error.type, ExclusionSourceFailureType.missingColumn);
      assert.match(error.message, /HHS-OIG LEIE: header column 15 is "EXCL_DATE", expected "EXCLDATE"/);
      return true;
    });
  });

  describe('the same values and exclusion key as the SQL row rules (migration 0400)', () => {
    /** The OIG import's typing (db/exclusion-list-diff-sql.ts) and key, run in the test database. */
    async function sqlRecord(row: LeieRow) {
      const [typed] = await stack().sequelize.query<{ key: string; dob: string | null; npi: string | null }>(
        `SELECT ale_leie_exclusion_key(nullif(btrim(:LASTNAME), ''), nullif(btrim(:FIRSTNAME), ''),
                  nullif(btrim(:MIDNAME), ''), nullif(btrim(:BUSNAME), ''), ale_leie_date(:DOB), ale_leie_npi(:NPI),
                  nullif(btrim(:UPIN), ''), nullif(btrim(:EXCLTYPE), ''), ale_leie_date(:EXCLDATE)) AS key,
                ale_leie_date(:DOB)::text AS dob, ale_leie_date(:EXCLDATE)::text AS excldate, ale_leie_npi(:NPI) AS npi`,
        { type: QueryTypes.SELECT, replacements: row },
      );
      return typed as { key: string; dob: string | null; excldate: string | null; npi: string | null };
    }

    const text = fc.oneof(
      fc.constantFrom('', ' ', 'SMITH', 'smith ', ' R ', "O'BRIEN", 'de la Cruz', 'A\tB'),
      fc.string({
        unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
        maxLength: 12,
      }),
    );
    const date = fc.oneof(
      fc.constantFrom(
        '',
        '00000000',
        '20240229',
        '20230229',
        '19000229',
        ' 19880830 ',
        '2023-01-01',
        '17991231',
      ),
      fc.stringMatching(/^[0-9]{8}$/),
      fc
        .date({ min: new Date('1800-01-01'), max: new Date('2999-12-31'), noInvalidDate: true })
        .map((d) => d.toISOString().slice(0, 10).replaceAll('-', '')),
    );
    const npi = fc.oneof(
      fc.constantFrom('', '0000000000', '0', ' 1234567893 ', '123'),
      fc.stringMatching(/^[0-9]{10}$/),
    );
    const row = fc.record({
      LASTNAME: text,
      FIRSTNAME: text,
      MIDNAME: text,
      BUSNAME: text,
      UPIN: text,
      EXCLTYPE: fc.oneof(fc.constantFrom('1128a1', '1128B4', ' 1128b7 '), text),
      DOB: date,
      EXCLDATE: date,
      NPI: npi,
    });

    it('for any ASCII row (property)', async () => {
      await fc.assert(
        fc.asyncProperty(row, async (fields) => {
          const full = leieRow(fields);
          const sql = await sqlRecord(full);
          const record = parsed(full);
          assert.equal(record.exclusionKey, sql.key);
          assert.equal(record.dob, sql.dob);
          assert.equal(record.startsOn, sql.excldate);
          assert.equal(record.npi, sql.npi);
        }),
        { numRuns: 150 },
      );
    });
  });
});
