import assert from 'node:assert/strict';
import fc from 'fast-check';
import { exclusionKey, headerName, namedColumns, usDate } from '../../../domain/exclusion-sources/fields';
import { EXCLUSION_SOURCE_ADAPTERS, listCsvStream } from '../../../domain/exclusion-sources/index';
import { ExclusionListReader } from '../../../domain/exclusion-sources/read-list';
import { EXCLUSION_SOURCE_IDS } from '../../../domain/exclusion-sources/source';
import { SAM_CSV_NAME, zipBuffer } from '../../../scripts/generate-exclusion-source';
import { fixture } from './read-all';

describe('exclusion-source fields', () => {
  it('reads every real date MM/DD/YYYY, with or without a time (property)', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('1800-01-01'), max: new Date('2999-12-31'), noInvalidDate: true }),
        fc.boolean(),
        (date, withTime) => {
          const iso = date.toISOString().slice(0, 10);
          const [year, month, day] = iso.split('-');
          assert.equal(usDate(`${month}/${day}/${year}${withTime ? ' 13:05:09' : ''}`), iso);
        },
      ),
    );
  });

  it('matches header names ignoring case, spaces and punctuation', () => {
    assert.equal(headerName('\uFEFFA/K/A (also known as)'), headerName('AKA (Also Known As)'));
    assert.equal(headerName('State / Province'), headerName('STATE_PROVINCE'));
    const header = namedColumns(['Last Name', 'NPI'], ['npi', 'extra', 'LAST-NAME']);
    assert.ok('columns' in header);
    assert.deepEqual(header.columns(['1234567893', 'x', 'DOE']), { 'Last Name': 'DOE', NPI: '1234567893' });
    assert.deepEqual(namedColumns(['Last Name', 'NPI', 'DOB'], ['NPI']), {
      problem: 'the header lacks the required columns "Last Name", "DOB"',
    });
  });

  it('keys separate the fields: a value cannot slide into its neighbour (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.string(), { minLength: 2, maxLength: 5 }), fc.nat(), (fields, at) => {
        const i = at % (fields.length - 1);
        const moved = [...fields];
        moved[i] = `${fields[i]}${fields[i + 1]}`;
        moved[i + 1] = '';
        fc.pre(fields[i + 1] !== '');
        assert.notEqual(exclusionKey(moved), exclusionKey(fields));
      }),
    );
  });
});

describe('the registry', () => {
  it('has an adapter for every source id, under its own id', () => {
    for (const id of EXCLUSION_SOURCE_IDS) assert.equal(EXCLUSION_SOURCE_ADAPTERS[id].id, id);
  });

  it('opens a download as its CSV: itself, or the CSV inside the ZIP', async () => {
    const count = async (id: 'sam' | 'pa_medicheck', download: Buffer) => {
      const adapter = EXCLUSION_SOURCE_ADAPTERS[id];
      const reader = new ExclusionListReader(adapter);
      for await (const _ of reader.read(await listCsvStream(adapter, download))) void _;
      return reader.rows;
    };
    assert.equal(
      await count('sam', await zipBuffer([{ name: SAM_CSV_NAME, content: fixture('sam.csv') }])),
      11,
    );
    assert.equal(await count('pa_medicheck', fixture('pa-medicheck.csv')), 9);
    await assert.rejects(count('sam', fixture('sam.csv')), { type: 'ExclusionSourceNotZip' });
  });
});
