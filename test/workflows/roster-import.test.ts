import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import ExcelJS from 'exceljs';
import { QueryTypes } from 'sequelize';
import { execute } from '../../db/sql';
import { screeningWorkflowId } from '../../lib/workflow-contracts';
import { createOrganization } from '../support/fixtures';
import { stack } from '../support/stack';
import {
  employeeCsv,
  employeesOf,
  failureType,
  importErrors,
  importRow,
  runImport,
  stageImport,
  zipOf,
} from './roster-import-support';

/** `text` as UTF-32LE bytes, without a byte-order mark. */
function utf32le(text: string): Buffer {
  const codePoints = [...text].map((char) => char.codePointAt(0) as number);
  const bytes = Buffer.alloc(codePoints.length * 4);
  for (const [i, codePoint] of codePoints.entries()) bytes.writeUInt32LE(codePoint, i * 4);
  return bytes;
}
describe('rosterImport workflow (real dev server, worker, Postgres, moto S3)', () => {
  it('merges a CSV: good rows committed, bad rows reported by row and column, unknown columns listed', async () => {
    const org = await createOrganization();
    const csv = [
      'Employee ID,First Name,Last Name,DOB,NPI,Email,Shoe Size',
      "E1, José ,O'Brien Jr,1980-04-01,1234567893,jose@x.test,42",
      'E2,Ann,Lee,02/30/2020,,ann@x.test,',
      'E3,Bob,Ray,,1234567890,,',
      'E1,Dup,Dup,,,,',
      ',Cat,Kay,,,cat@x.test,',
      "E4,=cmd|' /C calc'!A0,Smith,2020-13-01,,,",
      'E5,Dee,Fox,tomorrow,,,',
    ].join('\n');
    const { importId, summary } = await runImport(org.id, csv);
    assert.equal(summary?.status, 'succeeded');
    const imp = await importRow(importId);
    assert.equal(imp.status, 'succeeded');
    assert.deepEqual(
      [imp.totalCount, imp.insertedCount, imp.updatedCount, imp.unchangedCount, imp.rejectedCount],
      [7, 2, 0, 0, 5],
    );
    assert.equal(imp.rowsProcessed, 7);
    assert.deepEqual(imp.unknownColumns, ['Shoe Size']);
    assert.deepEqual(
      (await importErrors(importId)).map((e) => [e.row_number, e.column, e.code]),
      [
        [3, 'date_of_birth', 'invalid_date'],
        [4, 'npi', 'invalid_npi'],
        [5, 'external_id', 'duplicate_in_file'],
        [7, 'date_of_birth', 'invalid_date'],
        [8, 'date_of_birth', 'invalid_date'],
      ],
    );
    const people = await employeesOf(org.id);
    assert.deepEqual(
      people.map((p) => [p.external_id, p.email, p.first_name, p.kind, p.status, p.last_import_id]),
      [
        ['E1', 'jose@x.test', 'José', 'employee', 'active', importId],
        [null, 'cat@x.test', 'Cat', 'employee', 'active', importId],
      ],
    );
    assert.deepEqual(
      [people[0]?.first_name_norm, people[0]?.last_name_norm, people[0]?.full_name_norm],
      ['JOSE', 'OBRIEN', 'JOSE OBRIEN'],
    );
    // The people it inserted are handed to exclusion screening, once, by a deterministic id.
    const screening = await stack()
      .temporal.workflow.getHandle(screeningWorkflowId('import', importId))
      .describe();
    assert.equal(screening.type, 'exclusionScreening');
  });

  it('batches written together still let the first occurrence of a key win (ids, e-mails in any case, rejected rows)', async () => {
    const org = await createOrganization();
    // Two rows a batch: each duplicate sits in the batch right after its first occurrence, which is
    // written at the same time, except row 11 (far from row 3).
    const csv = [
      'Employee ID,First Name,Last Name,NPI,Email',
      'E1,Ann,Lee,,',
      'E2,Bob,Ray,,',
      'E1,Dup,One,,',
      ',Cat,Kay,,Cat@X.test',
      'E3,Bad,Npi,1234567890,',
      ',Dup,Two,,cat@x.TEST',
      'E3,Dup,Three,,',
      'E4,Dee,Fox,,',
      'E5,Eve,Ng,,cat@x.test',
      'E2,Dup,Four,,',
    ].join('\n');
    const { importId, summary } = await runImport(org.id, csv, { batchSize: 2 });
    assert.equal(summary?.status, 'succeeded');
    assert.deepEqual(summary?.counts, {
      total: 10,
      inserted: 5,
      updated: 0,
      unchanged: 0,
      deactivated: 0,
      rejected: 5,
    });
    assert.deepEqual(
      (await importErrors(importId)).map((e) => [e.row_number, e.column, e.code, e.value]),
      [
        [4, 'external_id', 'duplicate_in_file', 'E1'],
        [6, 'npi', 'invalid_npi', '1234567890'],
        [7, 'email', 'duplicate_in_file', 'cat@x.test'],
        [8, 'external_id', 'duplicate_in_file', 'E3'],
        [11, 'external_id', 'duplicate_in_file', 'E2'],
      ],
    );
    assert.deepEqual(
      (await employeesOf(org.id)).map((p) => [p.external_id, p.email, p.first_name]),
      [
        ['E1', null, 'Ann'],
        ['E2', null, 'Bob'],
        ['E4', null, 'Dee'],
        ['E5', 'cat@x.test', 'Eve'],
        [null, 'Cat@X.test', 'Cat'],
      ],
    );
  });

  it('deleting an import (here with its organization) deletes the keys it holds while running', async () => {
    const org = await createOrganization();
    const imp = await stageImport(org.id, employeeCsv(1));
    await stack().sequelize.query(
      `INSERT INTO roster_import_keys (import_id, key) VALUES ($1, 'e:ann@x.test');
       INSERT INTO roster_import_batches (import_id, rows_before, external_ids) VALUES ($1, 0, '{E1,E2}')`.replaceAll(
        '$1',
        `'${imp.id}'`,
      ),
    );
    const keysOf = async () =>
      (
        await stack().sequelize.query<{ n: number }>(
          `SELECT (SELECT count(*) FROM roster_import_keys WHERE import_id = $1)
             + (SELECT count(*) FROM roster_import_batches WHERE import_id = $1) AS n`,
          { bind: [imp.id], type: QueryTypes.SELECT },
        )
      )[0]?.n;
    assert.equal(Number(await keysOf()), 2);
    await execute(stack().sequelize, 'DELETE FROM organizations WHERE id = $id', { id: org.id });
    assert.equal(Number(await keysOf()), 0);
  });

  it('deleting an import clears last_import_id on the rows it wrote; the rows stay', async () => {
    const org = await createOrganization();
    const first = await runImport(org.id, employeeCsv(2));
    const second = await runImport(org.id, employeeCsv(3));
    const marks = async () => (await employeesOf(org.id)).map((p) => [p.external_id, p.last_import_id]);
    assert.deepEqual(await marks(), [
      ['E1', first.importId],
      ['E2', first.importId],
      ['E3', second.importId],
    ]);
    const [patient] = await stack().sequelize.query<{ id: string }>(
      `INSERT INTO patients (organization_id, external_id, first_name, last_name, date_of_birth, full_name_norm,
         last_import_id) VALUES ($1, 'MRN1', 'Pat', 'Lee', '1950-01-01', 'PAT LEE', $2) RETURNING id`,
      { bind: [org.id, first.importId], type: QueryTypes.SELECT },
    );
    await stack().sequelize.query('DELETE FROM roster_imports WHERE id = $1', { bind: [first.importId] });
    assert.deepEqual(await marks(), [
      ['E1', null],
      ['E2', null],
      ['E3', second.importId],
    ]);
    const [after] = await stack().sequelize.query<{ last_import_id: string | null }>(
      'SELECT last_import_id FROM patients WHERE id = $1',
      { bind: [patient?.id], type: QueryTypes.SELECT },
    );
    assert.deepEqual(after, { last_import_id: null });
  });

  it('marks with last_import_id only the rows an import inserted or changed; identical rows stay untouched', async () => {
    const org = await createOrganization();
    const first = await runImport(org.id, employeeCsv(3));
    const changed = employeeCsv(3).replace('First2,', 'Renamed2,');
    const second = await runImport(org.id, changed);
    const imp = await importRow(second.importId);
    assert.deepEqual([imp.insertedCount, imp.updatedCount, imp.unchangedCount], [0, 1, 2]);
    const people = await employeesOf(org.id);
    assert.deepEqual(
      people.map((p) => [p.external_id, p.first_name, p.last_import_id]),
      [
        ['E1', 'First1', first.importId],
        ['E2', 'Renamed2', second.importId],
        ['E3', 'First3', first.importId],
      ],
    );
    assert.equal(people[1]?.full_name_norm, 'RENAMED2 LAST2');
    // Nothing changed by a third identical import: no screening is started for it.
    const third = await runImport(org.id, changed);
    assert.equal(third.summary?.screen, false);
    await assert.rejects(
      stack().temporal.workflow.getHandle(screeningWorkflowId('import', third.importId)).describe(),
      /not found/i,
    );
  });

  it('replace deactivates who is missing, refuses to deactivate more than half unless forced', async () => {
    const org = await createOrganization();
    await runImport(org.id, employeeCsv(4));
    const replaced = await runImport(org.id, employeeCsv(3), { mode: 'replace' });
    assert.equal((await importRow(replaced.importId)).deactivatedCount, 1);
    assert.deepEqual(
      (await employeesOf(org.id)).map((p) => [p.external_id, p.status]),
      [
        ['E1', 'active'],
        ['E2', 'active'],
        ['E3', 'active'],
        ['E4', 'inactive'],
      ],
    );
    // E1 only would deactivate 2 of 3 active: refused, nobody deactivated.
    const guarded = await runImport(org.id, employeeCsv(1), { mode: 'replace' });
    assert.deepEqual(failureType(guarded.error), { type: 'DeactivationGuard', nonRetryable: true });
    const failed = await importRow(guarded.importId);
    assert.equal(failed.status, 'failed');
    assert.match(failed.failureReason ?? '', /2 of 3 active employees.*force=true/);
    assert.equal((await employeesOf(org.id)).filter((p) => p.status === 'active').length, 3);

    const forced = await runImport(org.id, employeeCsv(1), { mode: 'replace', force: true });
    assert.equal(forced.summary?.counts.deactivated, 2);
    assert.deepEqual(
      (await employeesOf(org.id)).map((p) => p.status),
      ['active', 'inactive', 'inactive', 'inactive'],
    );
    // A member present in the file but inactive comes back.
    await runImport(org.id, employeeCsv(4), { mode: 'replace' });
    assert.deepEqual(
      (await employeesOf(org.id)).map((p) => p.status),
      ['active', 'active', 'active', 'active'],
    );
  });

  it('dry run reports counts and errors but writes no roster rows', async () => {
    const org = await createOrganization();
    await runImport(org.id, employeeCsv(4));
    const csv = `${employeeCsv(2).replace('First1,', 'Changed1,')}E9,Bad,Npi,,1234567890,\n`;
    const { importId, summary } = await runImport(org.id, csv, {
      mode: 'replace',
      dryRun: true,
      force: true,
    });
    assert.equal(summary?.status, 'succeeded');
    assert.deepEqual(summary?.counts, {
      total: 3,
      inserted: 0,
      updated: 1,
      unchanged: 1,
      deactivated: 2,
      rejected: 1,
    });
    assert.equal(summary?.screen, false);
    assert.deepEqual(
      (await importErrors(importId)).map((e) => e.code),
      ['invalid_npi'],
    );
    const people = await employeesOf(org.id);
    assert.deepEqual(
      people.map((p) => [p.first_name, p.status]),
      [
        ['First1', 'active'],
        ['First2', 'active'],
        ['First3', 'active'],
        ['First4', 'active'],
      ],
    );
    const [keys] = await stack().sequelize.query(
      'SELECT count(*)::int AS n FROM roster_import_keys WHERE import_id = $1',
      {
        bind: [importId],
      },
    );
    assert.equal(
      (keys as { n: number }[])[0]?.n,
      0,
      'the per-import key set is dropped when the import ends',
    );
  });

  describe('file-level problems fail the import with a clear reason and no retries', () => {
    const cases: [string, () => Buffer | string | null, string, RegExp, ('csv' | 'xlsx')?][] = [
      ['an empty file', () => '', 'EmptyFile', /empty/],
      ['a header only', () => 'Employee ID,First Name,Last Name\r\n', 'EmptyFile', /no rows/],
      ['a missing required column', () => 'Employee ID,First Name\nE1,Ann\n', 'MissingColumns', /last_name/],
      [
        'an unknown delimiter',
        () => 'Employee ID#First Name#Last Name\nE1#Ann#Lee\n',
        'MissingColumns',
        /Only one column/,
      ],
      [
        'an unterminated quote',
        () => 'Employee ID,First Name,Last Name\nE1,"Ann,Lee\nE2,Bob,Ray\n',
        'MalformedCsv',
        /never closed|double quote/,
      ],
      [
        'non-UTF-8 bytes after UTF-8 text',
        () =>
          Buffer.concat([
            Buffer.from('Employee ID,First Name,Last Name\nE1,José,Lee\n'),
            Buffer.from([0x45, 0x32, 0x2c, 0xe9, 0x2c, 0x42, 0x0a]),
          ]),
        'NotUtf8',
        // The é of the last line: byte 49 (33 of header, 13 of the first row, "E2,").
        /not valid UTF-8 \(invalid bytes near byte 49\)/,
      ],
      [
        'UTF-16 without a byte-order mark',
        () => Buffer.from('Employee ID,First Name,Last Name\nE1,Zoë,Lee\n', 'utf16le'),
        'NotText',
        /UTF-16 or UTF-32 without a byte-order mark/,
      ],
      [
        'UTF-32 (with its byte-order mark)',
        () =>
          Buffer.concat([
            Buffer.from([0xff, 0xfe, 0, 0]),
            utf32le('Employee ID,First Name,Last Name\nE1,Ann,Lee\n'),
          ]),
        'NotText',
        /UTF-32/,
      ],
      [
        'an XLSX workbook sent as CSV',
        () => zipOf([{ name: '[Content_Types].xml', data: Buffer.from('<Types/>') }]),
        'NotText',
        /ZIP archive \(an XLSX workbook\?\)/,
      ],
      ['binary data', () => randomBytes(64 * 1024), 'NotText', /not text/],
      [
        'a file that is not XLSX named .xlsx',
        () => 'Employee ID,First Name\nE1,A\n',
        'NotXlsx',
        /not an XLSX/,
        'xlsx',
      ],
      [
        'an XLSX zip bomb',
        () =>
          zipOf([
            { name: '[Content_Types].xml', data: Buffer.from('<Types/>') },
            { name: 'xl/worksheets/sheet1.xml', data: Buffer.alloc(200 * 1024 * 1024, 0x20) },
          ]),
        'XlsxTooLarge',
        /zip bomb/,
        'xlsx',
      ],
      ['a key that does not exist', () => null, 'FileNotFound', /No object/],
    ];
    for (const [name, body, type, reason, format] of cases) {
      it(name, async function () {
        this.timeout(120_000);
        const org = await createOrganization();
        const { importId, error } = await runImport(org.id, body(), { format });
        assert.deepEqual(failureType(error), { type, nonRetryable: true });
        const imp = await importRow(importId);
        assert.equal(imp.status, 'failed');
        assert.match(imp.failureReason ?? '', reason);
        assert.ok(imp.finishedAt);
        assert.equal((await employeesOf(org.id)).length, 0);
      });
    }
  });

  describe('accepted CSV variants', () => {
    const expected = [
      ['E1', 'Ann, Jr', 'Lee'],
      ['E2', 'Bob\nLine', 'Ray'],
    ];
    const variants: [string, Buffer | string][] = [
      ['LF, quoted commas and newlines', 'ID,First,Last\nE1,"Ann, Jr",Lee\nE2,"Bob\nLine",Ray\n'],
      ['CRLF with a BOM', '\uFEFFID,First,Last\r\nE1,"Ann, Jr",Lee\r\nE2,"Bob\nLine",Ray\r\n'],
      ['semicolons', 'ID;First;Last\nE1;"Ann, Jr";Lee\nE2;"Bob\nLine";Ray\n'],
      ['tabs and blank lines', 'ID\tFirst\tLast\n\nE1\t"Ann, Jr"\tLee\n\t\t\nE2\t"Bob\nLine"\tRay'],
      [
        'UTF-16LE with BOM',
        Buffer.concat([
          Buffer.from([0xff, 0xfe]),
          Buffer.from('ID,First,Last\nE1,"Ann, Jr",Lee\nE2,"Bob\nLine",Ray\n', 'utf16le'),
        ]),
      ],
    ];
    for (const [name, csv] of variants) {
      it(name, async () => {
        const org = await createOrganization();
        const { summary } = await runImport(org.id, csv);
        assert.equal(summary?.counts.inserted, 2);
        assert.deepEqual(
          (await employeesOf(org.id)).map((p) => [p.external_id, p.first_name, p.last_name]),
          expected,
        );
      });
    }

    it('a Windows-1252 file is transcoded', async () => {
      const org = await createOrganization();
      const bytes = Buffer.from('ID,First,Last\nE1,Jos\xe9,Pe\xf1a\n', 'latin1');
      const { summary } = await runImport(org.id, bytes);
      assert.equal(summary?.counts.inserted, 1);
      assert.deepEqual(
        (await employeesOf(org.id)).map((p) => [p.first_name, p.last_name, p.full_name_norm]),
        [['José', 'Peña', 'JOSE PENA']],
      );
    });

    it('a 1 MB field rejects its row only', async () => {
      const org = await createOrganization();
      const csv = `ID,First,Last,Title\nE1,Ann,Lee,"${'x'.repeat(1024 * 1024)}"\nE2,Bob,Ray,Nurse\n`;
      const { importId, summary } = await runImport(org.id, csv);
      assert.deepEqual([summary?.counts.inserted, summary?.counts.rejected], [1, 1]);
      assert.deepEqual(
        (await importErrors(importId)).map((e) => [e.row_number, e.column, e.code]),
        [[2, 'title', 'too_long']],
      );
    });

    it('a NUL character rejects its row only, in a header it is reported as U+FFFD', async () => {
      const org = await createOrganization();
      const csv = 'ID,First,Last,No\u0000tes\nE1,An\u0000n,Lee,x\nE2,Bob,Ray,y\u0000\n';
      const { importId, summary } = await runImport(org.id, csv);
      assert.deepEqual([summary?.counts.inserted, summary?.counts.rejected], [1, 1]);
      assert.deepEqual(
        (await importErrors(importId)).map((e) => [e.row_number, e.column, e.code, e.value]),
        [[2, 'first_name', 'invalid_character', 'An\uFFFDn']],
      );
      assert.deepEqual((await importRow(importId)).unknownColumns, ['No\uFFFDtes']);
      assert.deepEqual(
        (await employeesOf(org.id)).map((p) => p.external_id),
        ['E2'],
      );
    });
  });

  it('imports patients from XLSX: date cells, text dates, ids with leading zeros kept; no screening', async () => {
    const org = await createOrganization();
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('Patients');
    sheet.addRow(['MRN', 'First Name', 'Last Name', 'Birth Date', 'Zip', 'Gender']);
    sheet.addRow(['00123', 'Ann', 'Lee', new Date(Date.UTC(1984, 6, 4)), '02134', 'F']);
    sheet.addRow([4567, 'Bob', 'Ray', '4/1/1950', 2134, 'M']);
    sheet.addRow(['00999', 'Cy', 'Bad', '02/30/2020', null, null]);
    workbook.addWorksheet('Ignored').addRow(['MRN', 'First Name']);
    const xlsx = Buffer.from(await workbook.xlsx.writeBuffer());
    const { importId, summary } = await runImport(org.id, xlsx, { kind: 'patients', format: 'xlsx' });
    assert.equal(summary?.status, 'succeeded');
    assert.deepEqual([summary?.counts.inserted, summary?.counts.rejected, summary?.screen], [2, 1, false]);
    const patients = await stack().sequelize.query<Record<string, string>>(
      'SELECT external_id, date_of_birth, zip, sex, full_name_norm, last_import_id FROM patients WHERE organization_id = $1 ORDER BY external_id',
      { bind: [org.id], type: QueryTypes.SELECT },
    );
    assert.deepEqual(patients, [
      {
        external_id: '00123',
        date_of_birth: '1984-07-04',
        zip: '02134',
        sex: 'F',
        full_name_norm: 'ANN LEE',
        last_import_id: importId,
      },
      {
        external_id: '4567',
        date_of_birth: '1950-04-01',
        zip: '2134',
        sex: 'M',
        full_name_norm: 'BOB RAY',
        last_import_id: importId,
      },
    ]);
    assert.deepEqual(
      (await importErrors(importId)).map((e) => [e.row_number, e.code]),
      [[4, 'invalid_date']],
    );
    // A dry run of a changed file classifies patients the same way, writing nothing.
    sheet.getRow(2).getCell(2).value = 'Anne';
    const changed = Buffer.from(await workbook.xlsx.writeBuffer());
    const dry = await runImport(org.id, changed, { kind: 'patients', format: 'xlsx', dryRun: true });
    assert.equal(dry.error, undefined);
    assert.deepEqual(
      [dry.summary?.counts.inserted, dry.summary?.counts.updated, dry.summary?.counts.unchanged],
      [0, 1, 1],
    );
    const [ann] = await stack().sequelize.query<{ first_name: string }>(
      "SELECT first_name FROM patients WHERE organization_id = $1 AND external_id = '00123'",
      { bind: [org.id], type: QueryTypes.SELECT },
    );
    assert.equal(ann?.first_name, 'Ann');
  });

  it('caregivers are a roster of their own: a caregiver replace leaves employees alone', async () => {
    const org = await createOrganization();
    await runImport(org.id, employeeCsv(2));
    const { summary } = await runImport(org.id, employeeCsv(2), { kind: 'caregivers', mode: 'replace' });
    assert.deepEqual([summary?.counts.inserted, summary?.counts.deactivated], [2, 0]);
    const kinds = (await employeesOf(org.id)).map((p) => `${p.external_id}:${p.kind}:${p.status}`).sort();
    assert.deepEqual(kinds, [
      'E1:caregiver:active',
      'E1:employee:active',
      'E2:caregiver:active',
      'E2:employee:active',
    ]);
  });
});
