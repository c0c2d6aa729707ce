import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import { xlsxRecords } from '../../activities/roster-files';
import { RosterFileError } from '../../domain/roster-file';

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
