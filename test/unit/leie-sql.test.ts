import assert from 'node:assert/strict';
import fc from 'fast-check';
import { QueryTypes } from 'sequelize';
import { stack } from '../support/stack';

/** The LEIE row rules of migration 0400, run in the test database. */
async function one<T>(sql: string, replacements: Record<string, unknown>): Promise<T> {
  const rows = await stack().sequelize.query<{ v: T }>(`SELECT ${sql} AS v`, {
    type: QueryTypes.SELECT,
    replacements,
  });
  return rows[0]?.v as T;
}

const leieDate = (value: string | null) => one<string | null>('ale_leie_date(:value)::text', { value });

describe('LEIE row rules in SQL (migration 0400)', () => {
  const dates: [string | null, string | null][] = [
    ['20200319', '2020-03-19'],
    [' 19880830 ', '1988-08-30'],
    ['20240229', '2024-02-29'],
    ['00000000', null],
    ['', null],
    [null, null],
    ['20230229', null],
    ['20231345', null],
    ['20230100', null],
    ['2023-01-01', null],
    ['1/2/2023', null],
    ['00010101', null],
  ];
  for (const [raw, date] of dates) {
    it(`reads the date ${JSON.stringify(raw)} as ${date}`, async () => {
      assert.equal(await leieDate(raw), date);
    });
  }

  it('reads every real YYYYMMDD date and never throws on any 8 digits (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.date({ min: new Date('1800-01-01'), max: new Date('2199-12-31'), noInvalidDate: true }),
        async (d) => {
          const iso = d.toISOString().slice(0, 10);
          assert.equal(await leieDate(iso.replaceAll('-', '')), iso);
        },
      ),
      { numRuns: 60 },
    );
    await fc.assert(
      fc.asyncProperty(fc.stringMatching(/^[0-9]{8}$/), async (digits) => {
        const date = await leieDate(digits);
        if (date !== null) assert.equal(date.replaceAll('-', ''), digits);
      }),
      { numRuns: 60 },
    );
  });

  it('treats the NPI 0000000000 and empty as none', async () => {
    assert.equal(await one('ale_leie_npi(:v)', { v: '0000000000' }), null);
    assert.equal(await one('ale_leie_npi(:v)', { v: '' }), null);
    assert.equal(await one('ale_leie_npi(:v)', { v: ' 1972902351 ' }), '1972902351');
    assert.equal(await one('ale_leie_npi(:v)', { v: null }), null);
  });

  describe('exclusion_key', () => {
    const key = (row: Partial<Record<string, string | null>>) =>
      one<string>(
        `ale_leie_exclusion_key(:lastname, :firstname, :midname, :busname, :dob::date, :npi, :upin, :excltype,
          :excldate::date)`,
        {
          lastname: null,
          firstname: null,
          midname: null,
          busname: null,
          dob: null,
          npi: null,
          upin: null,
          excltype: null,
          excldate: null,
          ...row,
        },
      );
    const person = {
      lastname: 'SMITH',
      firstname: 'JOHN',
      dob: '1970-01-01',
      excltype: '1128b4',
      excldate: '2020-01-01',
    };

    it('is a sha256 of the stored values that ignores case', async () => {
      const base = await key(person);
      assert.match(base, /^[0-9a-f]{64}$/);
      assert.equal(await key({ ...person, lastname: 'smith', firstname: 'John' }), base);
      assert.equal(await key({ ...person, npi: '' }), base);
    });

    it('separates the fields, so a value cannot slide into its neighbour', async () => {
      assert.notEqual(
        await key({ ...person, firstname: null, midname: 'JOHN' }),
        await key({ ...person, firstname: 'JOHN', midname: null }),
      );
    });

    for (const field of ['lastname', 'firstname', 'midname', 'busname', 'npi', 'upin', 'excltype'] as const) {
      it(`changes with ${field}`, async () => {
        assert.notEqual(await key({ ...person, [field]: 'X123456789' }), await key(person));
      });
    }
    it('changes with the dates that identify the exclusion', async () => {
      assert.notEqual(await key({ ...person, dob: '1970-01-02' }), await key(person));
      assert.notEqual(await key({ ...person, excldate: '2020-01-02' }), await key(person));
    });
  });
});
