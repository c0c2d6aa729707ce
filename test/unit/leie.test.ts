import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  describeCopyFormatError,
  LEIE_COLUMNS,
  LeieRecordSplitter,
  leieArchiveKey,
  leieBodyProblem,
  leieHeaderProblem,
  parseOigPageUpdateDate,
  rowCountProblem,
} from '../../domain/leie';
import { formatLeieLine, LEIE_HEADER_LINE } from '../../scripts/generate-leie';

const HEADER = LEIE_COLUMNS.join(',');

describe('LEIE header', () => {
  const accepted: [string, string][] = [
    ['the published header with CRLF', `${HEADER}\r`],
    ['a UTF-8 BOM', `\uFEFF${HEADER}`],
    ['quoted names', LEIE_COLUMNS.map((c) => `"${c}"`).join(',')],
    ['lower case', HEADER.toLowerCase()],
  ];
  for (const [name, line] of accepted) {
    it(`accepts ${name}`, () => assert.equal(leieHeaderProblem(line), null));
  }

  const refused: [string, string, RegExp][] = [
    [
      'a renamed column',
      HEADER.replace('EXCLDATE', 'EXCL_DATE'),
      /column 15 is "EXCL_DATE", expected "EXCLDATE"/,
    ],
    ['a missing column', LEIE_COLUMNS.slice(0, 17).join(','), /17 columns, the LEIE has 18/],
    ['an extra column', `${HEADER},SSN`, /19 columns/],
    [
      'swapped columns',
      HEADER.replace('LASTNAME,FIRSTNAME', 'FIRSTNAME,LASTNAME'),
      /column 1 is "FIRSTNAME"/,
    ],
    ['a data row', '"","","","#1 MARKETING SERVICE, INC"', /columns/],
  ];
  for (const [name, line, problem] of refused) {
    it(`refuses ${name}`, () => assert.match(leieHeaderProblem(line) ?? '', problem));
  }
});

describe('LEIE download body', () => {
  it('is empty when there is nothing but whitespace', () => {
    assert.equal(leieBodyProblem('')?.type, 'LeieEmptyFile');
    assert.equal(leieBodyProblem(' \r\n')?.type, 'LeieEmptyFile');
  });
  for (const html of [
    '<!DOCTYPE html><html>',
    '  <html lang="en">',
    '<?xml version="1.0"?>',
    '<body>Error</body>',
  ]) {
    it(`is not a CSV when it starts like ${JSON.stringify(html)}`, () => {
      assert.equal(leieBodyProblem(html)?.type, 'LeieNotCsv');
    });
  }
  it('is fine when it starts with the header', () => assert.equal(leieBodyProblem(`${HEADER}\r\n`), null));
});

describe('OIG page "last update" date', () => {
  const page = (inner: string) => `<html><body><p>The LEIE is updated monthly.</p>${inner}</body></html>`;
  const dated: [string, string][] = [
    ['<b>Last Update:</b> 11-10-2026', '2026-11-10'],
    ['Last Update: 11/10/2026', '2026-11-10'],
    ['Last updated on 2026-11-10', '2026-11-10'],
    ['Last Update&nbsp;&ndash; November 10, 2026', '2026-11-10'],
    ['<span>LAST UPDATE</span> <span>Nov. 10 2026</span>', '2026-11-10'],
    ['Last updated: 10 November 2026', '2026-11-10'],
    ['Updated 2/29/2028', '2028-02-29'],
  ];
  for (const [inner, date] of dated) {
    it(`reads ${JSON.stringify(inner)} as ${date}`, () => {
      assert.deepEqual(parseOigPageUpdateDate(page(inner)), { date });
    });
  }

  const undated: [string, string, RegExp][] = [
    ['no date at all', '<h1>LEIE Downloadable Databases</h1>', /no "last update" date/],
    ['a dotted date', 'Last Update: 2026.11.10', /"2026\.11\.10.*not a date in a known format/],
    ['an impossible date', 'Last Update: 02/30/2026', /"02\/30\/2026.*not a date in a known format/],
    ['a word', 'Last Update: yesterday', /"yesterday.*not a date/],
  ];
  for (const [name, inner, problem] of undated) {
    it(`reports ${name} instead of guessing`, () => {
      const parsed = parseOigPageUpdateDate(page(inner));
      assert.ok('problem' in parsed, JSON.stringify(parsed));
      assert.match(parsed.problem, problem);
    });
  }

  it('ignores the label inside scripts and reads the visible one', () => {
    const html = page('<script>var s = "Last Update: 01/01/1999";</script><p>Last Update: 11/10/2026</p>');
    assert.deepEqual(parseOigPageUpdateDate(html), { date: '2026-11-10' });
  });

  it('round-trips every real date written as MM/DD/YYYY (property)', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('1990-01-01'), max: new Date('2199-12-31'), noInvalidDate: true }),
        (d) => {
          const iso = d.toISOString().slice(0, 10);
          const [y, m, day] = iso.split('-');
          assert.deepEqual(parseOigPageUpdateDate(page(`Last Update: ${m}/${day}/${y}`)), { date: iso });
        },
      ),
    );
  });
});

describe('LEIE list size guard', () => {
  const table: [number, number, boolean][] = [
    [0, 5, true],
    [100, 90, true],
    [100, 89, false],
    [82_000, 81_000, true],
    [82_000, 40_000, false],
    [100, 0, false],
  ];
  for (const [previous, next, ok] of table) {
    it(`${ok ? 'accepts' : 'refuses'} ${next} rows after ${previous}`, () => {
      assert.equal(rowCountProblem(previous, next) === null, ok);
    });
  }
});

describe('LEIE COPY errors and archive keys', () => {
  it('names the file line (the header is line 1) and the field count', () => {
    assert.equal(
      describeCopyFormatError(
        'extra data after last expected column',
        'COPY oig_staging_raw_x, line 4: "..."',
      ),
      'line 5 has more than 18 fields',
    );
    assert.equal(
      describeCopyFormatError('missing data for column "wvrstate"', 'COPY oig_staging_raw_x, line 1: "..."'),
      'line 2 has fewer than 18 fields',
    );
    assert.match(
      describeCopyFormatError('unterminated CSV quoted field', undefined),
      /a line is not valid CSV/,
    );
  });

  it('archives under oig/<date>-<sha256>.csv below the configured prefix', () => {
    assert.equal(leieArchiveKey('', '2026-11-10', 'ab'), 'oig/2026-11-10-ab.csv');
    assert.equal(leieArchiveKey('prod', '2026-11-10', 'ab'), 'prod/oig/2026-11-10-ab.csv');
    assert.equal(leieArchiveKey('prod/', '2026-11-10', 'ab'), 'prod/oig/2026-11-10-ab.csv');
  });
});

describe('LEIE record splitter (the records COPY would read)', () => {
  const split = (chunks: string[]) => {
    const records: [string, number][] = [];
    const splitter = new LeieRecordSplitter((record, line) => records.push([record.toString(), line]));
    for (const chunk of chunks) splitter.push(Buffer.from(chunk));
    splitter.end();
    return records;
  };
  const row = (first: string) => formatLeieLine([first, ...Array.from({ length: 17 }, (_, i) => `F${i}`)]);

  it('passes data records without their line end, numbered as file lines after the header', () => {
    const file = LEIE_HEADER_LINE + row('A') + row('B');
    assert.deepEqual(split([file]), [
      [row('A').slice(0, -2), 2],
      [row('B').slice(0, -2), 3],
    ]);
  });

  it('splits the same wherever the chunks break, CRLF or LF, with or without a final line end', () => {
    const file =
      LEIE_HEADER_LINE + row('A') + row('"QUOTED", WITH\r\nNEWLINE') + row('C').replace('\r\n', '');
    const whole = split([file]);
    assert.equal(whole.length, 3);
    assert.equal(
      whole[1]?.[0],
      row('"QUOTED", WITH\r\nNEWLINE').slice(0, -2),
      'a line end inside quotes stays',
    );
    for (let at = 1; at < file.length; at += 7)
      assert.deepEqual(split([file.slice(0, at), file.slice(at)]), whole);
    assert.deepEqual(split([file.replaceAll('\r\n', '\n')]).length, 3);
  });

  it('names the line of a record with 17 or 19 fields, counting commas inside quotes as text', () => {
    const short = formatLeieLine(Array.from({ length: 17 }, () => 'X'));
    const long = formatLeieLine(Array.from({ length: 19 }, () => 'X'));
    assert.throws(
      () => split([LEIE_HEADER_LINE + row('A') + short]),
      /^LeieFormatError: line 3 has fewer than 18 fields$/,
    );
    assert.throws(() => split([LEIE_HEADER_LINE + long]), /line 2 has more than 18 fields/);
    assert.equal(split([LEIE_HEADER_LINE + row('A, B, C')]).length, 1);
  });

  it('refuses an unterminated quote, and a runaway record before it grows past 64 KB', () => {
    assert.throws(() => split([`${LEIE_HEADER_LINE}"open,${row('A')}`]), /unterminated CSV quoted field/);
    const splitter = new LeieRecordSplitter(() => {});
    splitter.push(Buffer.from(`${LEIE_HEADER_LINE}"`));
    assert.throws(() => {
      for (let i = 0; i < 100; i++) splitter.push(Buffer.alloc(1024, 0x41));
    }, /line 2 is longer than 64 KB/);
  });
});
