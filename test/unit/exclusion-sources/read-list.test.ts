import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ExclusionSourceFailureType } from '../../../domain/exclusion-sources/failures';
import { MAX_REJECTIONS_KEPT } from '../../../domain/exclusion-sources/read-list';
import { SAM_COLUMNS, samAdapter } from '../../../domain/exclusion-sources/sam';
import { ListTranscoder } from '../../../domain/exclusion-sources/transcoder';
import { readAll } from './read-all';

const HEADER = SAM_COLUMNS.join(',');

/** A SAM data line with the given names (every other column plain). */
function samLine(
  first: string,
  last: string,
  fields: Partial<Record<(typeof SAM_COLUMNS)[number], string>> = {},
) {
  const values: Record<string, string> = {
    Classification: 'Individual',
    First: first,
    Last: last,
    'Active Date': '01/02/2020',
    'Termination Date': 'Indefinite',
    ...fields,
  };
  return SAM_COLUMNS.map((column) => `"${(values[column] ?? '').replaceAll('"', '""')}"`).join(',');
}

async function failure(
  body: Buffer | string,
  chunkBytes?: number,
): Promise<{ type: string; message: string }> {
  try {
    await readAll(samAdapter, body, chunkBytes);
  } catch (error) {
    return error as { type: string; message: string };
  }
  return assert.fail('the file was read');
}

describe('reading a list file', () => {
  describe('refuses a body that is not the CSV', () => {
    const bodies: [string, string | Buffer, string, RegExp][] = [
      [
        'an HTML error page',
        '<!DOCTYPE html><html><body>Service unavailable</body></html>',
        ExclusionSourceFailureType.notCsv,
        /HTML\/XML page/,
      ],
      [
        'an HTML page after a BOM and blank lines',
        '\uFEFF\r\n  <html>',
        ExclusionSourceFailureType.notCsv,
        /HTML/,
      ],
      ['an XML document', '<?xml version="1.0"?><error/>', ExclusionSourceFailureType.notCsv, /HTML\/XML/],
      [
        'a ZIP archive',
        Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(40)]),
        ExclusionSourceFailureType.notCsv,
        /ZIP archive/,
      ],
      ['an empty body', '', ExclusionSourceFailureType.empty, /empty/],
      ['a BOM and blank lines only', '\uFEFF\r\n\r\n', ExclusionSourceFailureType.empty, /empty/],
    ];
    for (const [what, body, type, message] of bodies) {
      it(what, async () => {
        const error = await failure(body);
        assert.equal(error.type, type);
        assert.match(error.message, message);
      });
    }
  });

  it('reads a BOM, CRLF or LF line ends, quoted commas, quotes and line breaks', async () => {
    const body = `\uFEFF${HEADER}\r\n${samLine('JOHN, JR', 'O"BRIEN')}\n${samLine('ANNE\r\nMARIE', 'DOE')}\r\n\r\n`;
    const { records, reader } = await readAll(samAdapter, body, 3);
    assert.deepEqual(
      records.map((r) => [r.row, r.record.firstName, r.record.lastName]),
      [
        [2, 'JOHN, JR', 'O"BRIEN'],
        [3, 'ANNE\r\nMARIE', 'DOE'],
      ],
    );
    assert.equal(reader.rejectedCount, 0);
  });

  it('reads a stray quote inside an unquoted field as text', async () => {
    const line = samLine('X', 'Y').replace('"X"', 'JOHN "JACK"');
    const { records } = await readAll(samAdapter, `${HEADER}\r\n${line}\r\n`);
    assert.equal(records[0]?.record.firstName, 'JOHN "JACK"');
  });

  it('refuses an unterminated quote as malformed CSV', async () => {
    const error = await failure(`${HEADER}\r\n${samLine('A', 'B')}\r\n"Individual","","","JOHN,DOE\r\n`);
    assert.equal(error.type, ExclusionSourceFailureType.malformedCsv);
  });

  it('rejects and counts a row with another number of fields than the header', async () => {
    const { records, reader } = await readAll(
      samAdapter,
      `${HEADER}\r\n${samLine('A', 'B')},"extra"\r\n"Individual","JOHN"\r\n${samLine('C', 'D')}\r\n`,
    );
    assert.equal(records.length, 1);
    assert.deepEqual(reader.rejections, [
      { row: 2, reason: `has ${SAM_COLUMNS.length + 1} fields, the header has ${SAM_COLUMNS.length}` },
      { row: 3, reason: `has 2 fields, the header has ${SAM_COLUMNS.length}` },
    ]);
  });

  it('counts every rejected row but keeps the first reasons only', async () => {
    const bad = Array.from({ length: MAX_REJECTIONS_KEPT + 20 }, () =>
      samLine('A', 'B', { Classification: 'Robot' }),
    );
    const { reader } = await readAll(samAdapter, `${HEADER}\r\n${bad.join('\r\n')}\r\n`, 4096);
    assert.equal(reader.rejectedCount, MAX_REJECTIONS_KEPT + 20);
    assert.equal(reader.rejections.length, MAX_REJECTIONS_KEPT);
    assert.equal(reader.records, 0);
  });

  it('reads a header alone as a list of no rows (the sync judges the row count)', async () => {
    const { records, reader } = await readAll(samAdapter, `${HEADER}\r\n`);
    assert.equal(records.length, 0);
    assert.equal(reader.rows, 0);
  });

  describe('character encodings', () => {
    const encoded: [string, Buffer, string][] = [
      ['UTF-8', Buffer.from('JOSÉ Ñ’', 'utf8'), 'JOSÉ Ñ’'],
      // E9 92 80 also spells a UTF-8 character: in a file not UTF-8 so far, it is Windows-1252.
      [
        'Windows-1252 (E9 is é, 92 is ’, 80 is €)',
        Buffer.from([0x4a, 0x4f, 0x53, 0xc9, 0xe9, 0x92, 0x80]),
        'JOSÉé’€',
      ],
      ['a mixed file (UTF-8 é, then Windows-1252 é)', Buffer.from([0xc3, 0xa9, 0x2d, 0xe9]), 'é-é'],
      ['a Windows-1252 byte before a line end', Buffer.from([0x44, 0x4f, 0xc9]), 'DOÉ'],
    ];
    for (const [what, name, text] of encoded) {
      for (const chunkBytes of [1, 2, 5, 4096]) {
        it(`reads ${what} in chunks of ${chunkBytes}`, async () => {
          const [before, after] = samLine('@@', 'DOE').split('@@');
          const body = Buffer.concat([
            Buffer.from(`${HEADER}\r\n${before}`),
            name,
            Buffer.from(`${after}\r\n`),
          ]);
          const { records } = await readAll(samAdapter, body, chunkBytes);
          assert.equal(records[0]?.record.firstName, text);
        });
      }
    }

    const encodings: [string, Buffer, string][] = [
      ['utf-8', Buffer.from(samLine('JOS\u00c9', 'DOE'), 'utf8'), 'JOS\u00c9'],
      ['windows-1252', Buffer.from(samLine('JOS\u00c9', 'DOE'), 'latin1'), 'JOS\u00c9'],
      [
        'mixed',
        Buffer.concat([
          Buffer.from(`${samLine('\u00c9', 'DOE')}\r\n`),
          Buffer.from(samLine('JOS\u00c9', 'DOE'), 'latin1'),
        ]),
        '\u00c9',
      ],
    ];
    for (const [encoding, lines, first] of encodings) {
      it(`says the file was ${encoding}`, async () => {
        const { reader, records } = await readAll(
          samAdapter,
          Buffer.concat([Buffer.from(`${HEADER}\r\n`), lines]),
        );
        assert.equal(reader.encoding, encoding);
        assert.equal(records[0]?.record.firstName, first);
        assert.equal(records.at(-1)?.record.firstName, 'JOS\u00c9');
      });
    }

    const decode = (bytes: Uint8Array, cuts: number[]) => {
      const transcoder = new ListTranscoder();
      const out: Buffer[] = [];
      let at = 0;
      for (const cut of [...cuts].sort((a, b) => a - b)) {
        out.push(transcoder.write(bytes.subarray(at, Math.max(at, cut))));
        at = Math.max(at, cut);
      }
      out.push(transcoder.write(bytes.subarray(at)), transcoder.end());
      return Buffer.concat(out).toString('utf8');
    };

    it('reads any UTF-8 text exactly, however it is cut (property)', () => {
      fc.assert(
        fc.property(fc.string({ unit: 'grapheme' }), fc.array(fc.nat(200)), (text, cuts) => {
          const bytes = Buffer.from(text, 'utf8');
          assert.equal(decode(bytes, cuts), text);
        }),
      );
    });

    it('reads Windows-1252 text exactly when it is not UTF-8, however it is cut (property)', () => {
      // A Windows-1252 letter followed by ASCII is never a UTF-8 sequence: such text is not UTF-8.
      const pair = fc.tuple(fc.integer({ min: 0x80, max: 0xff }), fc.integer({ min: 0x20, max: 0x7e }));
      fc.assert(
        fc.property(fc.array(pair, { minLength: 1 }), fc.array(fc.nat(200)), (pairs, cuts) => {
          const bytes = Uint8Array.from(pairs.flat());
          assert.equal(decode(bytes, cuts), new TextDecoder('windows-1252').decode(bytes));
        }),
      );
    });
  });
});
