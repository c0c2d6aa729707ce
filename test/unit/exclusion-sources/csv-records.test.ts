import assert from 'node:assert/strict';
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { CsvRecordSplitter } from '../../../domain/exclusion-sources/csv-records';

/** csv-parse as the list reader configures it (domain/exclusion-sources/read-list.ts). */
const parseCsv = (bytes: Buffer): string[][] =>
  parse(bytes, {
    bom: true,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    record_delimiter: ['\r\n', '\n'],
  });

/** The splitter's records and pass-through bytes for `bytes` fed in chunks of `chunkBytes`. */
function split(bytes: Buffer, chunkBytes: number, maxRecordBytes = 1024 * 1024) {
  const records: Buffer[] = [];
  const passed: Buffer[] = [];
  const splitter = new CsvRecordSplitter(
    {
      record: (record) => records.push(Buffer.from(record)),
      passThrough: (b) => passed.push(Buffer.from(b)),
    },
    maxRecordBytes,
  );
  for (let at = 0; at < bytes.length; at += chunkBytes) splitter.push(bytes.subarray(at, at + chunkBytes));
  splitter.end();
  return { records, passed: Buffer.concat(passed), passingThrough: splitter.passingThrough };
}

/** A field as a list would write it: quoted (quotes doubled, any text) or plain (a stray quote after its start is text). */
const field = fc.oneof(
  fc.stringMatching(/^[ab é",\n\r]{0,6}$/).map((text) => `"${text.replaceAll('"', '""')}"`),
  fc.stringMatching(/^([ab é][ab é"]{0,5})?$/),
);
const record = fc.array(field, { minLength: 1, maxLength: 4 }).map((fields) => fields.join(','));
const document = fc
  .tuple(
    fc.boolean(),
    fc.constantFrom('', '\n', '\r\n'),
    fc.array(fc.tuple(record, fc.constantFrom('\n', '\r\n'), fc.boolean()), { minLength: 1, maxLength: 12 }),
    fc.boolean(),
  )
  .map(([bom, leading, lines, lastEnd]) => {
    const text = lines
      .map(([line, end, emptyAfter], index) => {
        const last = index === lines.length - 1;
        return line + (last && !lastEnd ? '' : end) + (emptyAfter && !last ? end : '');
      })
      .join('');
    return Buffer.from((bom ? '\uFEFF' : '') + leading + text);
  });

describe('cutting a list CSV into records before parsing (csv-records.ts)', () => {
  it('cuts where csv-parse does, however the bytes are chunked: each piece parses alone to the same record (property)', () => {
    fc.assert(
      fc.property(document, fc.integer({ min: 1, max: 40 }), (bytes, chunkBytes) => {
        const { records, passed, passingThrough } = split(bytes, chunkBytes);
        assert.equal(passingThrough, false);
        // Only empty lines before the first record reach the parser outside a record.
        assert.match(passed.toString(), /^(\uFEFF)?(\r?\n)*$/);
        const whole = parseCsv(bytes);
        assert.deepEqual(
          records.map((piece) => parseCsv(piece)),
          whole.map((fields) => [fields]),
        );
      }),
      { numRuns: 400 },
    );
  });

  it('keeps every byte of the records, their line ends included; empty lines are dropped', () => {
    const bytes = Buffer.from('h1,h2\r\n"a\nb",c\n\n\r\nd,"e ""q"""\nlast');
    const { records } = split(bytes, 3);
    assert.deepEqual(
      records.map((piece) => piece.toString()),
      ['h1,h2\r\n', '"a\nb",c\n', 'd,"e ""q"""\n', 'last'],
    );
  });

  it('reads a quote after a byte-order mark as opening the first field', () => {
    const bytes = Buffer.from('\uFEFF"a\nb",c\nd,e\n');
    assert.deepEqual(
      split(bytes, 2).records.map((piece) => piece.toString()),
      ['\uFEFF"a\nb",c\n', 'd,e\n'],
    );
  });

  it('hands empty lines before the first record to the parser: a byte-order mark after them is text', () => {
    const bytes = Buffer.from('\r\n\uFEFF"h\nx",y\nd,e\n');
    const { records, passed } = split(bytes, 3);
    assert.equal(passed.toString(), '\r\n');
    // The header as the parser reads the whole file: the mark and the quote after it are its text.
    assert.deepEqual(parseCsv(Buffer.concat([passed, records[0] as Buffer])), [parseCsv(bytes)[0]]);
    assert.deepEqual(
      records.map((piece) => piece.toString()),
      ['\uFEFF"h\n', 'x",y\n', 'd,e\n'],
    );
  });

  it('reads a stray quote inside a plain field as text, not as the start of a quoted one', () => {
    const bytes = Buffer.from('JOHN "JACK,DOE\nnext,row\n');
    assert.deepEqual(
      split(bytes, 5).records.map((piece) => piece.toString()),
      ['JOHN "JACK,DOE\n', 'next,row\n'],
    );
  });

  it('passes the rest through to the parser after a closing quote followed by text', () => {
    const bytes = Buffer.from('a,b\n"x"y,z\nc,d\n');
    const { records, passed, passingThrough } = split(bytes, 4);
    assert.equal(passingThrough, true);
    assert.deepEqual(
      records.map((piece) => piece.toString()),
      ['a,b\n'],
    );
    assert.equal(passed.toString(), '"x"y,z\nc,d\n', 'nothing is lost or repeated');
  });

  it('passes the rest through to the parser when a record outgrows the cap (an unbalanced quote)', () => {
    const bytes = Buffer.from(`a,b\n"${'x'.repeat(100)}\nc,d\n`);
    const { records, passed, passingThrough } = split(bytes, 16, 64);
    assert.equal(passingThrough, true);
    assert.deepEqual(
      records.map((piece) => piece.toString()),
      ['a,b\n'],
    );
    assert.equal(Buffer.concat([...records, passed]).toString(), bytes.toString());
  });
});
