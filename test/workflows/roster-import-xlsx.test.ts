import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import ExcelJS from 'exceljs';
import { createOrganization } from '../support/fixtures';
import { stack } from '../support/stack';
import { freshTempDir, leftIn } from '../support/temp-files';
import { startWorkerProcess } from '../support/worker-process';
import { inlineStringsWorkbook, sharedStringsBomb, worksheetBomb } from '../support/xlsx-archive';
import { until } from './organization-support';
import {
  employeeCsv,
  employeesOf,
  failureType,
  importRow,
  runImport,
  stageImport,
  startImportWorkflow,
} from './roster-import-support';

/** `rows` employees in a workbook as exceljs (like Excel) writes it: the worksheet before its strings. */
async function employeesWorkbook(rows: number): Promise<Buffer> {
  const book = new ExcelJS.Workbook();
  const sheet = book.addWorksheet('Roster');
  for (const line of employeeCsv(rows).trimEnd().split('\n')) sheet.addRow(line.split(','));
  return Buffer.from(await book.xlsx.writeBuffer());
}

/** Peak and current resident memory of a process, in MB. */
function memoryOf(pid: number): { peak: number; now: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
  return { peak: kb('VmHWM') / 1024, now: kb('VmRSS') / 1024 };
}

const ROWS = 20_000;

describe('rosterImport of XLSX: bombs and temporary files (real worker, dev server, Postgres, moto)', () => {
  let temp: ReturnType<typeof freshTempDir>;
  beforeEach(() => {
    temp = freshTempDir();
  });
  afterEach(() => temp.restore());

  it('a workbook without a sharedStrings part imports and leaves no temporary file or open handle', async () => {
    const org = await createOrganization();
    const book = inlineStringsWorkbook([
      ['Employee ID', 'First Name', 'Last Name'],
      ['E1', 'Ann', 'Lee'],
      ['E2', 'Bob', 'Ray'],
    ]);
    const { summary } = await runImport(org.id, book, { format: 'xlsx' });
    assert.equal(summary?.status, 'succeeded');
    assert.deepEqual(
      (await employeesOf(org.id)).map((p) => [p.external_id, p.first_name]),
      [
        ['E1', 'Ann'],
        ['E2', 'Bob'],
      ],
    );
    assert.deepEqual(leftIn(temp.dir), { files: [], handles: [] });
  });

  const bombs: [string, () => Buffer, RegExp][] = [
    ['a shared-strings bomb', () => sharedStringsBomb(), /more than 1,000,000 different texts/],
    ['a worksheet bomb', () => worksheetBomb(), /expands to more than 1024 MiB/],
  ];
  for (const [name, bomb, reason] of bombs) {
    it(`${name} whose headers claim 1 KB fails the import with the reason; nothing is left behind`, async function () {
      this.timeout(180_000);
      const org = await createOrganization();
      const { importId, error } = await runImport(org.id, bomb(), { format: 'xlsx' });
      assert.deepEqual(failureType(error), { type: 'XlsxTooLarge', nonRetryable: true });
      const imp = await importRow(importId);
      assert.equal(imp.status, 'failed');
      assert.match(imp.failureReason ?? '', reason);
      assert.equal((await employeesOf(org.id)).length, 0);
      assert.deepEqual(leftIn(temp.dir), { files: [], handles: [] });
    });
  }

  it('a cancelled XLSX import leaves nothing behind', async function () {
    this.timeout(180_000);
    const org = await createOrganization();
    const imp = await stageImport(org.id, await employeesWorkbook(ROWS), { format: 'xlsx' });
    const taskQueue = `roster-xlsx-${randomUUID()}`;
    const worker = await stack().createWorker(taskQueue);
    const handle = await startImportWorkflow(taskQueue, imp.id, 100);
    const summary = await worker.runUntil(async () => {
      await until('rows committed', async () => (await importRow(imp.id)).rowsProcessed >= 500, 60_000);
      // What POST …/imports/{id}/cancel does.
      await stack().sequelize.query('UPDATE roster_imports SET cancel_requested_at = now() WHERE id = $1', {
        bind: [imp.id],
      });
      return handle.result();
    });
    assert.equal(summary.status, 'cancelled');
    assert.ok(summary.rowsProcessed < ROWS, `stopped early (${summary.rowsProcessed})`);
    assert.deepEqual(leftIn(temp.dir), { files: [], handles: [] });
  });

  it('kill -9 of a worker mid-XLSX: nothing of its attempt stays on disk, and the retry leaves nothing', async function () {
    this.timeout(240_000);
    const org = await createOrganization();
    const imp = await stageImport(org.id, await employeesWorkbook(ROWS), { format: 'xlsx' });
    const taskQueue = `roster-xlsx-${randomUUID()}`;
    // Started while TMPDIR names the fresh directory, so the worker's temporary files go there.
    const doomed = await startWorkerProcess(taskQueue);
    const handle = await startImportWorkflow(taskQueue, imp.id, 200);
    await until(
      'an import in the middle of its file',
      async () => {
        const processed = (await importRow(imp.id)).rowsProcessed;
        return processed >= 2_000 && processed < ROWS;
      },
      90_000,
    );
    await doomed.kill9();
    assert.deepEqual(leftIn(temp.dir).files, [], 'the killed attempt left no file');

    const worker = await stack().createWorker(taskQueue);
    const summary = await worker.runUntil(handle.result());
    assert.equal(summary.status, 'succeeded');
    assert.equal(summary.counts.inserted, ROWS);
    assert.deepEqual(leftIn(temp.dir), { files: [], handles: [] });
  });

  it('a worker importing the 613 KB shared-strings bomb stays under 400 MB RSS and fails the import', async function () {
    this.timeout(240_000);
    const bomb = sharedStringsBomb();
    assert.ok(bomb.length <= 613 * 1024, `${bomb.length} bytes`);
    const org = await createOrganization();
    const imp = await stageImport(org.id, bomb, { format: 'xlsx' });
    const taskQueue = `roster-xlsx-${randomUUID()}`;
    const worker = await startWorkerProcess(taskQueue);
    const pid = worker.child.pid as number;
    try {
      const atRest = memoryOf(pid).now;
      const handle = await startImportWorkflow(taskQueue, imp.id);
      const error = await handle.result().then(
        () => undefined,
        (failure: unknown) => failure,
      );
      const { peak } = memoryOf(pid);
      assert.ok(
        peak < 400,
        `the worker peaked at ${peak.toFixed(0)} MB RSS (${atRest.toFixed(0)} MB at rest)`,
      );
      assert.deepEqual(failureType(error), { type: 'XlsxTooLarge', nonRetryable: true });
      assert.match((await importRow(imp.id)).failureReason ?? '', /more than 1,000,000 different texts/);
      assert.deepEqual(leftIn(temp.dir, pid), { files: [], handles: [] });
    } finally {
      await worker.stop();
    }
  });
});
