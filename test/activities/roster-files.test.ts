import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import { xlsxRecords } from '../../activities/roster-files';
import { boundedColumns, XLSX_LIMITS } from '../../activities/xlsx-workbook';
import { RosterFileError } from '../../domain/roster-file';
import { freshTempDir, leftIn } from '../support/temp-files';
import {
  inlineStringsWorkbook,
  repeated,
  sharedStringsBomb,
  worksheetBomb,
  zipOf,
} from '../support/xlsx-archive';

async function workbook(rows: number): Promise<Buffer> {
  const book = new ExcelJS.Workbook();
  const sheet = book.addWorksheet('Roster');
  sheet.addRow(['Employee ID', 'First Name', 'Last Name']);
  for (let i = 1; i <= rows; i++) sheet.addRow([`E${i}`, `First${i}`, `Last${i}`]);
  return Buffer.from(await book.xlsx.writeBuffer());
}

/** A download that delivers `bytes` up to `at`, then fails the way a reset connection does. */
function breaksAfter(bytes: Buffer, at: number): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (!sent) {
        sent = true;
        this.push(bytes.subarray(0, at));
        return;
      }
      this.destroy(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    },
  });
}

async function readAll(body: Readable) {
  const rows: unknown[][] = [];
  for await (const chunk of xlsxRecords(body)) for (const record of chunk) rows.push(record.cells);
  return rows;
}

describe('XLSX records (activities/roster-files.ts)', () => {
  it('reads the first worksheet of a whole workbook', async () => {
    const rows = await readAll(Readable.from([await workbook(3)]));
    assert.deepEqual(rows.at(-1), ['E3', 'First3', 'Last3']);
    assert.equal(rows.length, 4);
  });

  it('a download that breaks midway fails with its own error (retried), not as a bad workbook', async () => {
    const bytes = await workbook(2000);
    await assert.rejects(readAll(breaksAfter(bytes, Math.floor(bytes.length / 2))), (error: Error) => {
      assert.ok(!(error instanceof RosterFileError), `${error.name}: ${error.message}`);
      assert.equal((error as { code?: string }).code, 'ECONNRESET');
      return true;
    });
  });

  it('bytes that are not a workbook are NotXlsx', async () => {
    await assert.rejects(
      readAll(Readable.from([Buffer.from('PK\u0003\u0004 not really a zip')])),
      (error) => {
        assert.ok(error instanceof RosterFileError);
        assert.equal(error.type, 'NotXlsx');
        return true;
      },
    );
  });
});

describe('XLSX records: hostile workbooks and what a read leaves behind', () => {
  let temp: ReturnType<typeof freshTempDir>;
  beforeEach(() => {
    temp = freshTempDir();
  });
  afterEach(() => temp.restore());

  const nothingLeft = () => assert.deepEqual(leftIn(temp.dir), { files: [], handles: [] });

  async function refusal(read: Promise<unknown>): Promise<string> {
    let message = '';
    await assert.rejects(read, (error) => {
      assert.ok(error instanceof RosterFileError, String(error));
      assert.equal(error.type, 'XlsxTooLarge');
      message = error.message;
      return true;
    });
    return message;
  }

  it('a workbook without a sharedStrings part reads, leaving no temporary file and no open handle', async () => {
    const rows = await readAll(
      Readable.from([
        inlineStringsWorkbook([
          ['Employee ID', 'First Name', 'Last Name'],
          ['E1', 'Ann', 'Lee'],
        ]),
      ]),
    );
    assert.deepEqual(rows, [
      ['Employee ID', 'First Name', 'Last Name'],
      ['E1', 'Ann', 'Lee'],
    ]);
    nothingLeft();
  });

  it('a read stopped after the first row (a cancelled import) leaves nothing behind either', async () => {
    // exceljs, like Excel, writes the worksheet before the shared strings: it is kept aside.
    for await (const chunk of xlsxRecords(Readable.from([await workbook(500)]))) {
      assert.deepEqual(chunk[0]?.cells, ['Employee ID', 'First Name', 'Last Name']);
      break;
    }
    nothingLeft();
  });

  it('a shared-strings bomb whose headers claim 1 KB is stopped at the string limit', async function () {
    this.timeout(60_000);
    const bomb = sharedStringsBomb();
    assert.ok(bomb.length < 700 * 1024, `${bomb.length} bytes`);
    assert.match(await refusal(readAll(Readable.from([bomb]))), /more than 1,000,000 different texts/);
    nothingLeft();
  });

  it('a worksheet bomb whose headers claim 1 KB is stopped at the inflated-bytes limit', async function () {
    this.timeout(120_000);
    const message = await refusal(readAll(Readable.from([worksheetBomb()])));
    assert.match(message, new RegExp(`expands to more than ${XLSX_LIMITS.inflatedBytes / 1024 ** 2} MiB`));
    nothingLeft();
  });

  const roster = [
    ['Employee ID', 'First Name', 'Last Name'],
    ['E1', 'Ann', 'Lee'],
  ];

  it('column definitions past XFD (a few bytes that would make billions of objects) are refused', async () => {
    for (const max of ['2000000000', '16385', '&#50;000000000', ' 99999999', '+1']) {
      const book = inlineStringsWorkbook(roster, `<cols><col min="1" max="${max}" width="9"/></cols>`);
      assert.match(await refusal(readAll(Readable.from([book]))), /past Excel's last column \(16384\)/, max);
    }
    nothingLeft();
  });

  it('column definitions up to XFD, as Excel writes them, read as usual', async () => {
    const columns = `<cols><col min="1" max="3" width="12" customWidth="1"/><col min='4' max='16384' width="9"/></cols>`;
    assert.deepEqual(await readAll(Readable.from([inlineStringsWorkbook(roster, columns)])), roster);
  });

  it('a <col> tag cut anywhere by the inflated chunks is still read whole', async () => {
    const xml = (max: string) =>
      Buffer.from(
        `<worksheet><cols><col min="1" note="a>b" max="${max}" width="9"/></cols><sheetData/></worksheet>`,
      );
    const pass = async (bytes: Buffer, at: number) => {
      for await (const chunk of boundedColumns(Readable.from([bytes.subarray(0, at), bytes.subarray(at)])))
        void chunk;
    };
    const bomb = xml('2000000000');
    const fine = xml('200');
    for (let at = 0; at <= bomb.length; at++) {
      await assert.rejects(pass(bomb, at), /past Excel's last column/, `cut at ${at}`);
    }
    for (let at = 0; at <= fine.length; at++) await pass(fine, at);
  });

  it('one cell of megabytes (a text node no row holds) is refused before it is buffered', async () => {
    const sheet = repeated(
      '<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>',
      'x',
      2 * XLSX_LIMITS.markupGapBytes,
      '</t></is></c></row></sheetData></worksheet>',
    );
    const book = zipOf([{ name: 'xl/worksheets/sheet1.xml', deflated: sheet, declaredSize: 100 }]);
    assert.match(await refusal(readAll(Readable.from([book]))), /a single value or tag of more than/);
    nothingLeft();
  });
});
