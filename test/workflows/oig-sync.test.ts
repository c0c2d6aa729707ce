import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import pg from 'pg';
import { QueryTypes } from 'sequelize';
import type { Config } from '../../lib/config';
import type { ExclusionSourceSyncResult } from '../../lib/exclusion-source-contract';
import { type OigSyncInput, screeningWorkflowId } from '../../lib/workflow-contracts';
import {
  formatLeieFile,
  formatLeieLine,
  generateLeieRows,
  LEIE_HEADER_LINE,
  writeLeieFile,
} from '../../scripts/generate-leie';
import { exclusionSourceSync } from '../../workflows/exclusion-source-sync';
import { createUser } from '../support/fixtures';
import { call } from '../support/http';
import { OigSiteStub, repeatingStream } from '../support/oig-site-stub';
import { stack } from '../support/stack';
import { startWorkerProcess } from '../support/worker-process';

// Rows copied from the published file (../shared/data/leie-head-real.csv) plus readable individuals.
const REAL_BUSINESSES = [
  [
    '',
    '',
    '',
    '#1 MARKETING SERVICE, INC',
    'OTHER BUSINESS',
    'SOBER HOME',
    '',
    '0000000000',
    '',
    '239 BRIGHTON BEACH AVENUE',
    'BROOKLYN',
    'NY',
    '11235',
    '1128a1',
    '20200319',
    '00000000',
    '00000000',
    '',
  ],
  [
    '',
    '',
    '',
    '1 BEST CARE, INC',
    'OTHER BUSINESS',
    'HOME HEALTH AGENCY',
    '',
    '0000000000',
    '',
    '2161 UNIVERSITY AVENUE W, STE',
    'SAINT PAUL',
    'MN',
    '55114',
    '1128b5',
    '20230518',
    '00000000',
    '00000000',
    '',
  ],
  [
    '',
    '',
    '',
    '101 FIRST CARE PHARMACY INC',
    'OTHER BUSINESS',
    'PHARMACY',
    '',
    '1972902351',
    '',
    'C/O 609 W 191ST STREET, APT D',
    'NEW YORK',
    'NY',
    '10040',
    '1128b8',
    '20220320',
    '00000000',
    '00000000',
    '',
  ],
  [
    '',
    '',
    '',
    '14 LAWRENCE AVE PHARMACY',
    'PHARMACY',
    '',
    '',
    '0000000000',
    '',
    '14 LAWRENCE AVENUE',
    'SMITHTOWN',
    'NY',
    '11787',
    '1128a1',
    '19880830',
    '00000000',
    '00000000',
    '',
  ],
];
const OBRIEN = [
  "O'BRIEN",
  'SEÁN',
  'R ',
  '',
  'NURSING PROFESSION',
  'NURSE/NURSES AIDE',
  '',
  '1234567893',
  '19700215',
  '1 MAIN ST',
  'BOSTON',
  'MA',
  '02101',
  '1128b4',
  '20200101',
  '00000000',
  '00000000',
  '',
];
const BAD_DOB = [
  'SMITH-JONES',
  'MARY',
  '',
  '',
  'NURSING PROFESSION',
  '',
  '',
  '0000000000',
  '19991345',
  '2 ELM ST',
  'AUSTIN',
  'TX',
  '73301',
  '1128a1',
  '20210704',
  '00000000',
  '00000000',
  '',
];
const TWIN = [
  'DOE',
  'JOHN',
  '',
  '',
  'IND- LIC HC SERV PRO',
  '',
  '',
  '0000000000',
  '',
  '3 OAK ST',
  'MIAMI',
  'FL',
  '33101',
  '1128b7',
  '20190101',
  '00000000',
  '00000000',
  '',
];
const BASE_ROWS: string[][] = [...REAL_BUSINESSES, OBRIEN, BAD_DOB, TWIN, TWIN, ...generateLeieRows(12, 42)];

const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'oig-sync-test-'));

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

async function resetOigState() {
  await stack().sequelize.query('TRUNCATE oig_employees_exclusion; DELETE FROM oig_exclusions_check;');
}

async function sql<T extends object>(query: string, replacements: Record<string, unknown> = {}) {
  return stack().sequelize.query<T>(query, { type: QueryTypes.SELECT, replacements });
}

async function listKeys(): Promise<string[]> {
  const rows = await sql<{ k: string }>('SELECT exclusion_key AS k FROM oig_employees_exclusion ORDER BY 1');
  return rows.map((row) => row.k);
}

async function checksOf(workflowId: string) {
  return sql<Record<string, any>>(
    `SELECT id, status, row_count, added, removed, invalid_fields, error, warning, etag, sha256, archive_key,
            source_updated_on::text AS source_updated_on, duration_ms, workflow_id
       FROM oig_exclusions_check WHERE workflow_id = :workflowId`,
    { workflowId },
  );
}

async function runSync(
  site: OigSiteStub,
  input: OigSyncInput = { trigger: 'manual' },
  overrides: Partial<Config> = {},
): Promise<{ workflowId: string; result?: ExclusionSourceSyncResult; error?: unknown }> {
  const taskQueue = `oig-${randomUUID()}`;
  const workflowId = `oig-sync/test-${randomUUID()}`;
  const worker = await stack().createWorker(taskQueue, { ...site.config, ...overrides });
  const outcome = await worker.runUntil(
    stack()
      .temporal.workflow.execute(exclusionSourceSync, {
        taskQueue,
        workflowId,
        args: [{ sourceId: 'leie', ...input }],
      })
      .then(
        (result) => ({ result }),
        (error: unknown) => ({ error }),
      ),
  );
  return { workflowId, ...outcome };
}

/** The ApplicationFailure that failed the workflow through an activity. */
function activityFailure(error: unknown): ApplicationFailure {
  assert.ok(error instanceof WorkflowFailedError, `expected WorkflowFailedError, got ${error}`);
  assert.ok(error.cause instanceof ActivityFailure, 'expected an ActivityFailure cause');
  assert.ok(error.cause.cause instanceof ApplicationFailure, 'expected an ApplicationFailure');
  return error.cause.cause;
}

describe('exclusionSourceSync workflow for the LEIE (real worker, dev server, Postgres, moto; OIG site stubbed on 127.0.0.1)', function () {
  this.timeout(180_000);
  let site: OigSiteStub;

  before(async () => {
    site = await OigSiteStub.start();
  });
  after(async () => {
    // Leave the shared list empty for the next file's tests (the last test loads 82k rows).
    await resetOigState();
    await site.close();
    fs.rmSync(tmpDir, { recursive: true, force: true });
  });

  /** An imported list of BASE_ROWS from "11-10-2026", as the state most tests start from. */
  async function importBase() {
    await resetOigState();
    site.setPageDate('11-10-2026');
    site.setCsv({ body: formatLeieFile(BASE_ROWS), etag: '"v1"' });
    const run = await runSync(site);
    assert.equal(run.result?.status, 'imported', String(run.error));
    return run;
  }

  it('imports the first list: archived, parsed by the LEIE rules, normalized, recorded with its keys', async () => {
    await resetOigState();
    const csv = formatLeieFile(BASE_ROWS);
    site.setPageDate('11-10-2026');
    site.setCsv({ body: csv, etag: '"v1"', lastModified: 'Tue, 10 Nov 2026 12:00:00 GMT' });

    const { workflowId, result, error } = await runSync(site);
    assert.equal(error, undefined);
    assert.ok(result);
    assert.equal(result.status, 'imported');
    assert.equal(result.rowCount, BASE_ROWS.length);
    assert.equal(result.added, BASE_ROWS.length);
    assert.equal(result.removed, 0);
    assert.equal(result.rescreenWorkflowId, screeningWorkflowId('oig-import', result.checkId));

    const [check] = await checksOf(workflowId);
    assert.equal(check?.status, 'imported');
    assert.equal(check?.id, result.checkId);
    assert.equal(check?.row_count, BASE_ROWS.length);
    assert.equal(check?.added, BASE_ROWS.length);
    assert.equal(check?.removed, 0);
    assert.equal(check?.invalid_fields, 1, 'the DOB 19991345 is counted');
    assert.equal(check?.source_updated_on, '2026-11-10');
    assert.equal(check?.etag, '"v1"');
    assert.equal(check?.sha256, sha256(csv));
    assert.ok(check?.duration_ms >= 0);
    assert.equal(check?.archive_key, `oig/2026-11-10-${sha256(csv)}.csv`);

    const archived = await stack().s3.send(
      new GetObjectCommand({ Bucket: stack().config.AWS_S3_BUCKET_NAME, Key: check?.archive_key }),
    );
    assert.equal(await archived.Body?.transformToString(), csv);

    const rows = await sql<Record<string, any>>(
      `SELECT lastname, firstname, midname, busname, npi, dob::text AS dob, excldate::text AS excldate,
              reindate, last_name_norm, first_name_norm, full_name_norm, exclusion_key
         FROM oig_employees_exclusion`,
    );
    assert.equal(rows.length, BASE_ROWS.length);
    const obrien = rows.find((row) => row.lastname === "O'BRIEN" && row.firstname === 'SEÁN');
    assert.deepEqual(
      {
        midname: obrien?.midname,
        npi: obrien?.npi,
        dob: obrien?.dob,
        excldate: obrien?.excldate,
        reindate: obrien?.reindate,
        last: obrien?.last_name_norm,
        first: obrien?.first_name_norm,
        full: obrien?.full_name_norm,
      },
      {
        midname: 'R',
        npi: '1234567893',
        dob: '1970-02-15',
        excldate: '2020-01-01',
        reindate: null,
        last: 'OBRIEN',
        first: 'SEAN',
        full: 'SEAN OBRIEN',
      },
    );
    const badDob = rows.find((row) => row.lastname === 'SMITH-JONES');
    assert.equal(badDob?.dob, null, 'an invalid date is kept as null');
    assert.equal(badDob?.npi, null, 'NPI 0000000000 means none');
    const business = rows.find((row) => row.busname === '#1 MARKETING SERVICE, INC');
    assert.equal(business?.last_name_norm, null, 'business rows are never matched as people');
    assert.equal(business?.full_name_norm, '1 MARKETING SERVICE INC', 'but are searchable by name');
    const twins = rows.filter((row) => row.lastname === 'DOE').map((row) => row.exclusion_key as string);
    assert.equal(twins.length, 2, 'identical rows are both kept');
    assert.equal(new Set(twins).size, 2);

    const changes = await sql<{ change: string; n: number }>(
      `SELECT change, count(*)::int AS n FROM oig_exclusion_changes WHERE check_id = :id GROUP BY change`,
      { id: result.checkId },
    );
    assert.deepEqual(changes, [{ change: 'added', n: BASE_ROWS.length }]);
    const child = await stack()
      .temporal.workflow.getHandle(result.rescreenWorkflowId as string)
      .describe();
    assert.equal(child.type, 'exclusionScreening', 'the rescreen was started as a child by type name');
  });

  it('records `unchanged` without downloading when the page date equals the last import', async () => {
    await importBase();
    const before = await listKeys();
    const downloads = site.csvRequests().length;

    const { workflowId, result } = await runSync(site, { trigger: 'schedule' });
    assert.equal(result?.status, 'unchanged');
    assert.equal(result?.rescreenWorkflowId, null);
    assert.equal(site.csvRequests().length, downloads, 'the CSV was not fetched');
    const [check] = await checksOf(workflowId);
    assert.equal(check?.status, 'unchanged');
    assert.equal(check?.source_updated_on, '2026-11-10');
    assert.equal(check?.row_count, BASE_ROWS.length);
    assert.deepEqual(await listKeys(), before);
  });

  it('imports a newer file with the right added/removed keys; unchanged rows keep their keys', async () => {
    await importBase();
    const before = await listKeys();
    const moved = [...OBRIEN];
    moved[9] = '99 NEW ADDRESS RD';
    const newRows = [
      ...BASE_ROWS.filter((row) => row !== OBRIEN && row !== BAD_DOB).slice(0, -1),
      moved,
      ...generateLeieRows(3, 777),
    ];
    site.setPageDate('12-08-2026');
    site.setCsv({ body: formatLeieFile(newRows), etag: '"v2"' });

    const { workflowId, result } = await runSync(site, { trigger: 'schedule' });
    assert.equal(result?.status, 'imported');
    assert.equal(result?.added, 3);
    assert.equal(result?.removed, 2, 'SMITH-JONES and the last generated row left the list');
    assert.equal(result?.rowCount, newRows.length);
    const after = await listKeys();
    const changes = await sql<{ exclusion_key: string; change: string }>(
      'SELECT exclusion_key, change FROM oig_exclusion_changes WHERE check_id = :id',
      { id: result?.checkId },
    );
    const removed = changes.filter((c) => c.change === 'removed').map((c) => c.exclusion_key);
    const added = changes.filter((c) => c.change === 'added').map((c) => c.exclusion_key);
    assert.deepEqual(
      removed.sort(),
      before.filter((key) => !after.includes(key)),
    );
    assert.deepEqual(
      added.sort(),
      after.filter((key) => !before.includes(key)),
    );
    const [obrien] = await sql<{ address: string }>(
      `SELECT address FROM oig_employees_exclusion WHERE lastname = 'O''BRIEN' AND firstname = 'SEÁN'`,
    );
    assert.equal(obrien?.address, '99 NEW ADDRESS RD', 'a profile correction updates the row in place');
    assert.ok(!removed.some((key) => after.includes(key)));
    const [check] = await checksOf(workflowId);
    assert.equal(check?.source_updated_on, '2026-12-08');
    assert.equal(check?.added, 3);
    assert.equal(check?.removed, 2);
  });

  it('keeps the download it holds back while the list is locked, through garbage collections', async () => {
    // fetch cancels the body of a Response that is collected while nobody reads it; the import reads
    // the body only once the list's hashes are in, so it must hold the body from the start.
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    await importBase();
    const rows = [...BASE_ROWS.slice(0, -1), ...generateLeieRows(2, 4242)];
    site.setPageDate('12-08-2026');
    site.setCsv({ body: formatLeieFile(rows), etag: '"locked"' });
    const writer = new pg.Client({ connectionString: stack().config.DATABASE_URL });
    await writer.connect();
    try {
      await writer.query('BEGIN');
      await writer.query('LOCK TABLE oig_employees_exclusion IN ACCESS EXCLUSIVE MODE');
      const downloads = site.requests.filter((request) => request.path.endsWith('.csv')).length;
      const sync = runSync(site);
      while (site.requests.filter((request) => request.path.endsWith('.csv')).length === downloads) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      for (let i = 0; i < 3; i++) {
        gc();
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await writer.query('ROLLBACK');
      const { result, error } = await sync;
      assert.equal(error, undefined);
      assert.equal(result?.status, 'imported');
      assert.equal(result?.rowCount, rows.length);
      assert.equal(result?.added, 2);
      assert.equal(result?.removed, 1);
    } finally {
      await writer.end();
    }
  });

  it('refuses a truncated file (< 90 % of the current rows) and keeps the old list', async () => {
    await importBase();
    const before = await listKeys();
    site.setPageDate('12-08-2026');
    site.setCsv({ body: formatLeieFile(BASE_ROWS.slice(0, 10)), etag: '"short"' });

    const { workflowId, error } = await runSync(site);
    const failure = activityFailure(error);
    assert.equal(failure.type, 'LeieTooFewRows');
    assert.equal(failure.nonRetryable, true);
    assert.deepEqual(await listKeys(), before);
    const [check] = await checksOf(workflowId);
    assert.equal(check?.status, 'failed');
    assert.match(check?.error, /^LeieTooFewRows: /);
  });

  it('refuses a file whose header changed and keeps the old list', async () => {
    await importBase();
    const before = await listKeys();
    site.setPageDate('12-08-2026');
    const csv = formatLeieFile(BASE_ROWS).replace('EXCLTYPE,EXCLDATE', 'EXCLTYPE,EXCL_DATE');
    site.setCsv({ body: csv, etag: '"renamed"' });

    const { workflowId, error } = await runSync(site);
    assert.equal(activityFailure(error).type, 'LeieHeaderMismatch');
    assert.deepEqual(await listKeys(), before);
    assert.equal((await checksOf(workflowId))[0]?.status, 'failed');
  });

  it('fails the check after bounded retries when the site is down; the list and status say so', async () => {
    const { result: imported } = await importBase();
    const before = await listKeys();
    const down = { OIG_WEBPAGE_URL: 'http://127.0.0.1:9/exclusions/exclusions_list.asp' };

    const { workflowId, error } = await runSync(site, { trigger: 'schedule' }, down);
    const failure = activityFailure(error);
    assert.equal(failure.type, 'OigSiteUnreachable');
    assert.equal(
      (error as WorkflowFailedError & { cause: ActivityFailure }).cause.retryState,
      'MAXIMUM_ATTEMPTS_REACHED',
    );
    assert.deepEqual(await listKeys(), before);

    const admin = await createUser();
    const status = await call(stack().createApp(), 'GET', '/v1/oig/status', { token: admin.token });
    assert.equal(status.status, 200);
    assert.equal(status.body.lastCheck.status, 'failed');
    assert.equal(status.body.lastCheck.workflowId, workflowId);
    assert.match(status.body.lastCheck.error, /^OigSiteUnreachable: .*unreachable/);
    assert.equal(status.body.lastImport.checkId, imported?.checkId);
    assert.equal(status.body.lastImport.rowCount, BASE_ROWS.length);
    assert.equal(status.body.rowCount, BASE_ROWS.length);
  });

  it('imports with a warning when the page has no date but the CSV changed', async () => {
    await importBase();
    site.setPage('<html><body><h1>LEIE Downloadable Databases</h1><p>Download below.</p></body></html>');
    const rows = [...BASE_ROWS, ...generateLeieRows(2, 9)];
    site.setCsv({ body: formatLeieFile(rows), etag: '"v3"' });

    const { workflowId, result } = await runSync(site);
    assert.equal(result?.status, 'imported');
    assert.equal(result?.added, 2);
    assert.match(result?.warning ?? '', /no "last update" date/);
    const [check] = await checksOf(workflowId);
    assert.equal(check?.source_updated_on, null);
    assert.match(check?.warning, /no "last update" date/);
    assert.match(check?.archive_key, /^oig\/\d{4}-\d{2}-\d{2}-[0-9a-f]{64}\.csv$/);
  });

  it('records `unchanged` with a warning when the date is in an unexpected format and the CSV is the same', async () => {
    await importBase();
    site.setPageDate('2026.12.08');
    const { workflowId, result } = await runSync(site);
    assert.equal(result?.status, 'unchanged');
    const [check] = await checksOf(workflowId);
    assert.match(check?.warning, /"2026\.12\.08[^"]*", which is not a date in a known format/);
    assert.equal(site.csvRequests().at(-1)?.headers['if-none-match'], '"v1"', 'a conditional GET');
  });

  it('compares the hash when the server sends no ETag: same bytes → unchanged', async () => {
    await resetOigState();
    site.setPageDate('11-10-2026');
    site.setCsv({ body: formatLeieFile(BASE_ROWS) });
    assert.equal((await runSync(site)).result?.status, 'imported');
    site.setPageDate('11-11-2026');
    const { result } = await runSync(site);
    assert.equal(result?.status, 'unchanged');
  });

  describe('applies a new file as a difference, ending exactly where a full reload ends', () => {
    /** Every row of the list by key: its content, and the transaction that last wrote it. */
    async function snapshot() {
      const rows = await sql<Record<string, string | null>>(
        `SELECT exclusion_key, lastname, firstname, midname, busname, general, specialty, upin, npi, dob::text,
                address, city, state, zip, excltype, excldate::text, reindate::text, waiverdate::text, wvrstate,
                last_name_norm, first_name_norm, full_name_norm, encode(row_hash, 'hex') AS row_hash,
                invalid_fields::text, xmin::text AS xmin
           FROM oig_employees_exclusion ORDER BY exclusion_key`,
      );
      return new Map(rows.map((row) => [row.exclusion_key as string, row]));
    }
    const content = (rows: Map<string, Record<string, string | null>>) =>
      [...rows.values()].map(({ xmin: _xmin, ...row }) => row);

    /** The list and check a full load of `rows` into an empty list gives. */
    async function fullReload(rows: string[][]) {
      await resetOigState();
      site.setPageDate('01-05-2027');
      site.setCsv({ body: formatLeieFile(rows), etag: '"full"' });
      const { workflowId, result } = await runSync(site);
      assert.equal(result?.status, 'imported');
      return { rows: await snapshot(), check: (await checksOf(workflowId))[0] };
    }

    const address = (row: string[], value: string) => row.map((field, i) => (i === 9 ? value : field));
    // Same identity (names, DOB, NPI, UPIN, type, date), different address: keys DOE… and DOE…#2 by file order.
    const TWIN_X = address(TWIN, '10 X ST');
    const TWIN_Y = address(TWIN, '20 Y ST');
    const BEFORE = [...BASE_ROWS, TWIN_X, TWIN_Y];
    const AFTER = [
      ...BASE_ROWS.filter((row) => row !== BAD_DOB && row !== REAL_BUSINESSES[1]),
      address(OBRIEN, '99 NEW ADDRESS RD'),
      TWIN,
      TWIN_Y,
      TWIN_X,
      ...generateLeieRows(3, 4242),
    ].filter((row) => row !== OBRIEN);

    it('added, removed, changed and re-numbered rows as a full load has them; untouched rows not rewritten', async () => {
      const full = await fullReload(AFTER);
      await resetOigState();
      site.setPageDate('11-10-2026');
      site.setCsv({ body: formatLeieFile(BEFORE), etag: '"before"' });
      assert.equal((await runSync(site)).result?.status, 'imported');
      const before = await snapshot();

      site.setPageDate('12-08-2026');
      site.setCsv({ body: formatLeieFile(AFTER), etag: '"after"' });
      const { workflowId, result } = await runSync(site);
      assert.equal(result?.status, 'imported');
      const after = await snapshot();

      assert.deepEqual(content(after), content(full.rows), 'the same list as a full load of the file');
      const [check] = await checksOf(workflowId);
      assert.equal(check?.row_count, AFTER.length);
      assert.equal(check?.invalid_fields, full.check?.invalid_fields);
      const gone = [...before.keys()].filter((key) => !after.has(key)).sort();
      const fresh = [...after.keys()].filter((key) => !before.has(key)).sort();
      assert.ok(gone.length >= 2 && fresh.length >= 4, `${gone.length} removed, ${fresh.length} added`);
      const changes = await sql<{ exclusion_key: string; change: string }>(
        'SELECT exclusion_key, change FROM oig_exclusion_changes WHERE check_id = :id ORDER BY exclusion_key',
        { id: result?.checkId },
      );
      assert.deepEqual(
        changes.filter((c) => c.change === 'removed').map((c) => c.exclusion_key),
        gone,
      );
      assert.deepEqual(
        changes.filter((c) => c.change === 'added').map((c) => c.exclusion_key),
        fresh,
      );
      assert.equal(check?.removed, gone.length);
      assert.equal(check?.added, fresh.length);

      let untouched = 0;
      for (const [key, row] of after) {
        const old = before.get(key);
        if (!old) continue;
        if (old.row_hash === row.row_hash) {
          assert.equal(row.xmin, old.xmin, `${key} held the same record and was not rewritten`);
          untouched++;
        } else {
          assert.notEqual(row.xmin, old.xmin);
        }
      }
      assert.ok(untouched >= BASE_ROWS.length - 4, `${untouched} rows untouched`);
      const twins = [...after.values()].filter((row) => row.lastname === 'DOE').map((row) => row.address);
      assert.deepEqual(
        twins,
        ['3 OAK ST', '3 OAK ST', '3 OAK ST', '20 Y ST', '10 X ST'],
        'the duplicates are numbered in file order',
      );
    });

    it('re-types rows whose record is unknown (older rows, edited rows) and ends like a full load', async () => {
      const full = await fullReload(BASE_ROWS);
      await importBase();
      // Rows written before record hashes existed, and a row edited outside the sync.
      await stack().sequelize.query(
        `UPDATE oig_employees_exclusion SET row_hash = NULL, invalid_fields = NULL WHERE lastname = 'SMITH-JONES'`,
      );
      await stack().sequelize.query(
        `UPDATE oig_employees_exclusion SET address = 'EDITED' WHERE busname = '1 BEST CARE, INC'`,
      );
      const [edited] = await sql<{ row_hash: string | null }>(
        `SELECT row_hash FROM oig_employees_exclusion WHERE busname = '1 BEST CARE, INC'`,
      );
      assert.equal(edited?.row_hash, null, 'an edit that does not set the record hash clears it');

      const { workflowId, result } = await runSync(site, { trigger: 'manual', force: true });
      assert.equal(result?.status, 'imported');
      assert.equal(result?.added, 0);
      assert.equal(result?.removed, 0);
      assert.deepEqual(content(await snapshot()), content(full.rows));
      assert.equal((await checksOf(workflowId))[0]?.invalid_fields, 1);
    });
  });

  it('re-imports when forced even if nothing changed, without a rescreen', async () => {
    await importBase();
    const { result } = await runSync(site, { trigger: 'manual', force: true });
    assert.equal(result?.status, 'imported');
    assert.equal(result?.added, 0);
    assert.equal(result?.removed, 0);
    assert.equal(result?.rescreenWorkflowId, null);
    assert.equal(
      site.csvRequests().at(-1)?.headers['if-none-match'],
      undefined,
      'forced: no conditional GET',
    );
  });

  describe('bad input gets a clear, typed failure and the old list stays', () => {
    const cases: {
      name: string;
      csv: () => Parameters<OigSiteStub['setCsv']>[0];
      type: string;
      detail?: RegExp;
    }[] = [
      {
        name: 'an HTML error page served with 200',
        csv: () => ({
          body: '<!DOCTYPE html><html><body><h1>Service Unavailable</h1></body></html>',
          contentType: 'text/html',
        }),
        type: 'LeieNotCsv',
      },
      { name: 'an empty body', csv: () => ({ body: '' }), type: 'LeieEmptyFile' },
      { name: 'a header without rows', csv: () => ({ body: LEIE_HEADER_LINE }), type: 'LeieEmptyFile' },
      {
        name: 'a row with 17 fields',
        csv: () => ({
          body:
            LEIE_HEADER_LINE +
            BASE_ROWS.map((row, i) => formatLeieLine(i === 3 ? row.slice(0, 17) : row)).join(''),
        }),
        type: 'LeieMalformedRow',
        detail: /line 5 has fewer than 18 fields/,
      },
      {
        name: 'a row with 19 fields',
        csv: () => ({
          body:
            LEIE_HEADER_LINE +
            BASE_ROWS.map((row, i) => formatLeieLine(i === 6 ? [...row, 'X'] : row)).join(''),
        }),
        type: 'LeieMalformedRow',
        detail: /line 8 has more than 18 fields/,
      },
      {
        name: 'a response announcing 250 MB',
        csv: () => ({ body: formatLeieFile(BASE_ROWS), contentLength: 250 * 1024 * 1024 }),
        type: 'LeieTooLarge',
      },
      {
        name: 'a chunked response running past 200 MB',
        csv: () => ({
          body: {
            stream: repeatingStream(
              LEIE_HEADER_LINE,
              formatLeieLine(BASE_ROWS[4] as string[]),
              210 * 1024 * 1024,
            ),
          },
        }),
        type: 'LeieTooLarge',
      },
    ];
    for (const testCase of cases) {
      it(`refuses ${testCase.name}`, async () => {
        await importBase();
        const before = await listKeys();
        site.setPageDate('12-08-2026');
        site.setCsv(testCase.csv());
        const { workflowId, error } = await runSync(site);
        const failure = activityFailure(error);
        assert.equal(failure.type, testCase.type);
        assert.equal(failure.nonRetryable, true);
        if (testCase.detail) assert.match(failure.message, testCase.detail);
        assert.deepEqual(await listKeys(), before);
        const [check] = await checksOf(workflowId);
        assert.equal(check?.status, 'failed');
        assert.ok(check?.error.startsWith(`${testCase.type}: `));
      });
    }
  });

  it('ends with one complete list when the worker is killed during the COPY', async function () {
    this.timeout(240_000);
    await resetOigState();
    const file = path.join(tmpDir, 'leie-82k.csv');
    await writeLeieFile(file, { rows: 82_000, seed: 3 });
    site.setPageDate('11-10-2026');
    site.setCsv({ body: { file }, etag: '"big"' });

    const taskQueue = `oig-kill-${randomUUID()}`;
    const workflowId = `oig-sync/test-${randomUUID()}`;
    const handle = await stack().temporal.workflow.start(exclusionSourceSync, {
      taskQueue,
      workflowId,
      args: [{ sourceId: 'leie', trigger: 'manual' }],
    });
    // A separate process (the real workers/main.ts), so it can die with SIGKILL like a crashed worker.
    const doomed = await startWorkerProcess(taskQueue, site.config);
    let copied = 0;
    try {
      const deadline = Date.now() + 150_000;
      while (copied === 0 && Date.now() < deadline && doomed.child.exitCode === null) {
        const [progress] = await sql<{ n: number }>(
          `SELECT coalesce(max(tuples_processed), 0)::int AS n FROM pg_stat_progress_copy
            WHERE relid::regclass::text LIKE '%oig_staging_raw%'`,
        );
        copied = progress?.n ?? 0;
        if (copied === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      }
    } finally {
      await doomed.kill9();
    }
    assert.ok(copied > 0 && copied < 82_000, `the worker was killed mid-COPY (${copied} rows copied)`);

    const worker = await stack().createWorker(taskQueue, site.config);
    const result = await worker.runUntil(handle.result());
    assert.equal(result.status, 'imported');
    assert.equal(result.rowCount, 82_000);
    const [{ n } = { n: 0 }] = await sql<{ n: number }>(
      'SELECT count(*)::int AS n FROM oig_employees_exclusion',
    );
    assert.equal(n, 82_000);
    const checks = await checksOf(workflowId);
    assert.deepEqual(
      checks.map((check) => [check.status, check.row_count, check.added]),
      [['imported', 82_000, 82_000]],
    );
    const history = await handle.fetchHistory();
    const loads = (history.events ?? []).filter(
      (event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'importExclusionSource',
    );
    assert.equal(loads.length, 1);
    const started = (history.events ?? []).find(
      (event) =>
        event.activityTaskStartedEventAttributes?.scheduledEventId?.toString() ===
        loads[0]?.eventId?.toString(),
    );
    assert.ok((started?.activityTaskStartedEventAttributes?.attempt ?? 0) >= 2, 'the COPY ran again');
    const leftovers = await sql(`SELECT 1 FROM pg_tables WHERE tablename LIKE 'oig_staging_%'`);
    assert.equal(leftovers.length, 0, 'staging tables are dropped');
  });
});
