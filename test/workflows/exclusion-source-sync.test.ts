import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import { decodeArrayFromPayloads } from '@temporalio/common/lib/internal-non-workflow';
import { countSourceRecords } from '../../db/exclusion-source-store';
import { execute, query } from '../../db/sql';
import { exclusionSourceAdapter } from '../../domain/exclusion-sources';
import type { ExclusionSourceId } from '../../domain/exclusion-sources/source';
import type { Config } from '../../lib/config';
import type {
  ExclusionSourceSyncInput,
  ExclusionSourceSyncResult,
} from '../../lib/exclusion-source-contract';
import { SAM_CSV_NAME, samExtractZip, zipBuffer } from '../../scripts/generate-exclusion-source';
import { exclusionSourceSync } from '../../workflows/exclusion-source-sync';
import { insertPeople } from '../fixtures/screening';
import { createOrganization } from '../support/fixtures';
import { ListSiteStub } from '../support/list-site-stub';
import { stack } from '../support/stack';
import { startWorkerProcess } from '../support/worker-process';
import { fixture, readAll } from '../unit/exclusion-sources/read-all';

const PATHS: Record<Exclude<ExclusionSourceId, 'leie'>, string> = {
  sam: '/data-services/v1/extracts',
  pa_medicheck: '/medicheck/precluded.csv',
  ca_medi_cal: '/medi-cal/suspended.csv',
};

const PA_HEADER =
  'NAM_LAST_PROVR,NAM_FIRST_PROVR,NAM_MIDDLE_PROVR,NAM_SUFFIX_PROVR,NAM_TITLE_PROVR,NAM_BUSNS_MP,NAM_PROVR_ALT,IDN_NPI,NBR_FEIN,LicenseNumber,Status,BeginDate,EndDate,ListDate,CAO';

/** A PA Medicheck file of `count` generated people, plus `extra` lines as written. */
function paFile(count: number, extra: string[] = []): string {
  const lines = [PA_HEADER];
  for (let i = 0; i < count; i++) {
    lines.push(
      `GENERATED${i},PERSON,,,,,,,,,Precluded,01/0${(i % 9) + 1}/2022 00:00:00,,01/10/2022 00:00:00,Erie`,
    );
  }
  return `${[...lines, ...extra].join('\r\n')}\r\n`;
}

/** What the running import attempt last heartbeated (its progress), as the server holds it. */
async function heartbeatOf(handle: WorkflowHandle): Promise<{ archiveKey?: string } | undefined> {
  const { raw } = await handle.describe();
  const payloads = raw.pendingActivities?.[0]?.heartbeatDetails?.payloads;
  const [progress] = await decodeArrayFromPayloads(stack().temporal.options.loadedDataConverter, payloads);
  return progress as { archiveKey?: string } | undefined;
}

async function checkOf(workflowId: string) {
  const rows = await query<{
    status: string;
    row_count: number | null;
    added: number | null;
    removed: number | null;
    rejected_rows: number | null;
    sha256: string | null;
    archive_key: string | null;
    error: string | null;
    source_updated_on: string | null;
  }>(
    stack().sequelize,
    `SELECT status, row_count, added, removed, rejected_rows, sha256, archive_key, error,
            source_updated_on::text AS source_updated_on
       FROM exclusion_source_checks WHERE workflow_id = $workflowId`,
    { workflowId },
  );
  assert.equal(rows.length, 1, 'one check per sync');
  return rows[0] as (typeof rows)[number];
}

/** The ApplicationFailure that failed the workflow through an activity. */
function activityFailure(error: unknown): ApplicationFailure {
  assert.ok(error instanceof WorkflowFailedError, `expected WorkflowFailedError, got ${error}`);
  assert.ok(error.cause instanceof ActivityFailure, 'expected an ActivityFailure cause');
  assert.ok(error.cause.cause instanceof ApplicationFailure, 'expected an ApplicationFailure');
  return error.cause.cause;
}

describe('exclusionSourceSync workflow (real worker, dev server, Postgres, moto; list sites stubbed)', function () {
  this.timeout(180_000);
  let site: ListSiteStub;
  let overrides: Partial<Config>;

  before(async () => {
    site = await ListSiteStub.start();
    overrides = {
      EXCLUSION_SOURCES: ['leie', 'sam', 'pa_medicheck', 'ca_medi_cal'],
      SAM_EXTRACT_URL: `${site.url(PATHS.sam)}?fileType=EXCLUSION`,
      SAM_API_KEY: 'test-sam-key',
      PA_MEDICHECK_URL: site.url(PATHS.pa_medicheck),
      CA_MEDI_CAL_URL: site.url(PATHS.ca_medi_cal),
      EXCLUSION_SOURCE_DOWNLOAD_STALL_TIMEOUT: 1,
      EXCLUSION_SOURCE_MAX_CSV_BYTES: 1024 * 1024,
    };
    await execute(
      stack().sequelize,
      `DELETE FROM exclusion_source_records WHERE source IN ('sam', 'pa_medicheck', 'ca_medi_cal')`,
    );
  });
  after(async () => {
    await execute(
      stack().sequelize,
      `DELETE FROM exclusion_source_records WHERE source IN ('sam', 'pa_medicheck', 'ca_medi_cal')`,
    );
    await site.close();
  });

  /** Runs one sync to its end and, when it started a rescreen, that rescreen too. */
  async function runSync(sourceId: ExclusionSourceId, force = false) {
    const taskQueue = `source-sync-${randomUUID()}`;
    const workflowId = `exclusion-source-sync/${sourceId}/test-${randomUUID()}`;
    const input: ExclusionSourceSyncInput = { sourceId, trigger: 'manual', force };
    const worker = await stack().createWorker(taskQueue, overrides);
    const outcome = await worker.runUntil(async () => {
      try {
        const result: ExclusionSourceSyncResult = await stack().temporal.workflow.execute(
          exclusionSourceSync,
          {
            taskQueue,
            workflowId,
            args: [input],
          },
        );
        if (result.rescreenWorkflowId)
          await stack().temporal.workflow.getHandle(result.rescreenWorkflowId).result();
        return { result };
      } catch (error) {
        return { error };
      }
    });
    return { workflowId, ...outcome } as {
      workflowId: string;
      result?: ExclusionSourceSyncResult;
      error?: unknown;
    };
  }

  async function matchesOf(organizationId: string) {
    return query<{
      first_name: string;
      source: string;
      reason: string;
      status: string;
      resolution: string | null;
    }>(
      stack().sequelize,
      `SELECT e.first_name, m.source, m.reason, m.status, m.resolution FROM exclusion_matches m
         JOIN employees e ON e.id = m.employee_id WHERE m.organization_id = $organizationId
        ORDER BY e.first_name, m.source`,
      { organizationId },
    );
  }

  it('syncs the PA and CA lists: archived with their sha256, counted, and a roster matched with each source', async () => {
    const organization = await createOrganization();
    await insertPeople(organization.id, [
      { label: 'dana', firstName: 'Dana', lastName: 'ExamplEperson', dateOfBirth: '1975-05-05' },
      { label: 'pat', firstName: 'Pat', lastName: 'Endedsample' },
      { label: 'npi', firstName: 'Robin', lastName: 'Unrelated', npi: '1234567893' },
      { label: 'jordan', firstName: 'Jordan', lastName: 'Samplerson' },
      { label: 'clear', firstName: 'Clara', lastName: 'Nobody' },
    ]);
    for (const [sourceId, file] of [
      ['pa_medicheck', 'pa-medicheck.csv'],
      ['ca_medi_cal', 'ca-medi-cal.csv'],
    ] as const) {
      const bytes = fixture(file);
      site.set(PATHS[sourceId], {
        body: bytes,
        contentType: 'text/csv',
        lastModified: 'Tue, 01 Dec 2026 09:30:00 GMT',
      });
      const expected = await readAll(exclusionSourceAdapter(sourceId), bytes);
      const run = await runSync(sourceId);
      assert.equal(run.error, undefined, String(run.error));
      assert.equal(run.result?.status, 'imported');
      assert.equal(run.result?.rowCount, expected.records.length);
      assert.equal(run.result?.rejectedRows, expected.reader.rejectedCount);
      assert.ok(expected.reader.rejectedCount > 0, 'the fixture holds rows the adapter rejects');
      const check = await checkOf(run.workflowId);
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      assert.deepEqual(
        [check.status, check.row_count, check.added, check.removed, check.rejected_rows, check.sha256],
        [
          'imported',
          expected.records.length,
          expected.records.length,
          0,
          expected.reader.rejectedCount,
          sha256,
        ],
      );
      assert.match(
        check.archive_key ?? '',
        new RegExp(`^exclusion-sources/${sourceId}/\\d{4}-\\d{2}-\\d{2}-${sha256}\\.csv$`),
      );
      const archived = await stack().s3.send(
        new HeadObjectCommand({ Bucket: stack().config.AWS_S3_BUCKET_NAME, Key: check.archive_key ?? '' }),
      );
      assert.equal(archived.ContentLength, bytes.length);
      assert.equal(await countSourceRecords(stack().sequelize, sourceId), expected.records.length);
    }
    const matches = (await matchesOf(organization.id)).map((m) => `${m.first_name} ${m.source} ${m.reason}`);
    assert.ok(matches.includes('Dana pa_medicheck name'), matches.join('; '));
    assert.ok(matches.includes('Robin pa_medicheck npi'), matches.join('; '));
    assert.ok(matches.includes('Robin ca_medi_cal npi'), matches.join('; '));
    assert.ok(matches.includes('Jordan ca_medi_cal name'), matches.join('; '));
    assert.ok(
      !matches.some((m) => m.startsWith('Pat ') || m.startsWith('Clara ')),
      'no ended record, no stranger',
    );

    // The same file again: `unchanged`, nothing swapped; the check counts the list it verified.
    const again = await runSync('ca_medi_cal');
    assert.equal(again.result?.status, 'unchanged');
    const unchanged = await checkOf(again.workflowId);
    assert.deepEqual(
      [unchanged.status, unchanged.row_count],
      ['unchanged', await countSourceRecords(stack().sequelize, 'ca_medi_cal')],
    );
  });

  it('reads a list saved as Windows-1252: accented names stored as written, matched without accents', async () => {
    const organization = await createOrganization();
    await insertPeople(organization.id, [{ label: 'jose', firstName: 'Jose', lastName: 'Munoz' }]);
    site.set(PATHS.ca_medi_cal, { body: fixture('ca-medi-cal-windows-1252.csv'), contentType: 'text/csv' });
    const run = await runSync('ca_medi_cal', true);
    assert.equal(run.result?.status, 'imported', String(run.error));
    const names = await query<{ last_name: string; first_name: string }>(
      stack().sequelize,
      `SELECT last_name, first_name FROM exclusion_source_records
        WHERE source = 'ca_medi_cal' AND last_name IS NOT NULL ORDER BY last_name`,
    );
    assert.ok(
      names.some((row) => row.last_name === 'MUÑOZ' && row.first_name === 'JOSÉ'),
      JSON.stringify(names),
    );
    assert.deepEqual(
      (await matchesOf(organization.id)).map((m) => `${m.first_name} ${m.source} ${m.reason}`),
      ['Jose ca_medi_cal name'],
    );
  });

  it('resolves a match whose record left the list, and screens the added keys of that list', async () => {
    const organization = await createOrganization();
    await insertPeople(organization.id, [
      { label: 'g1', firstName: 'Person', lastName: 'Generated1' },
      { label: 'late', firstName: 'Latecomer', lastName: 'Addedlater' },
    ]);
    site.set(PATHS.pa_medicheck, { body: paFile(30), contentType: 'text/csv' });
    assert.equal((await runSync('pa_medicheck', true)).result?.status, 'imported');
    assert.deepEqual(
      (await matchesOf(organization.id)).map((m) => [m.first_name, m.source, m.status]),
      [['Person', 'pa_medicheck', 'open']],
    );
    const next = paFile(30, [
      'ADDEDLATER,LATECOMER,,,,,,,,,Precluded,02/01/2024 00:00:00,,02/02/2024 00:00:00,Erie',
    ]).replace(/GENERATED1,PERSON[^\r]*\r\n/, '');
    site.set(PATHS.pa_medicheck, { body: next, contentType: 'text/csv' });
    const versions = async () =>
      new Map(
        (
          await query<{ exclusion_key: string; version: string }>(
            stack().sequelize,
            `SELECT exclusion_key, xmin::text AS version FROM exclusion_source_records WHERE source = 'pa_medicheck'`,
          )
        ).map((row) => [row.exclusion_key, row.version]),
      );
    const before = await versions();
    const run = await runSync('pa_medicheck');
    assert.deepEqual([run.result?.added, run.result?.removed], [1, 1]);
    const after = await versions();
    assert.equal(after.size, before.size);
    assert.deepEqual(
      [...after].filter(([key, version]) => before.has(key) && before.get(key) !== version),
      [],
      'the records the file holds as they were are neither parsed again nor rewritten',
    );
    assert.deepEqual(
      (await matchesOf(organization.id)).map((m) => [m.first_name, m.status, m.resolution]),
      [
        ['Latecomer', 'open', null],
        ['Person', 'resolved', 'removed_from_list'],
      ],
    );
  });

  it('syncs the SAM extract (a ZIP): individuals in force match with source sam; firms, vessels, ended never', async () => {
    const organization = await createOrganization();
    await insertPeople(organization.id, [
      { label: 'sample', firstName: 'Sample', lastName: 'Exampleperson' },
      { label: 'demo', firstName: 'Demo', lastName: 'Testcase' },
      { label: 'firm', firstName: 'Sample', lastName: 'Home Health LLC' },
    ]);
    const csv = fixture('sam.csv');
    site.set(PATHS.sam, { body: await zipBuffer([{ name: SAM_CSV_NAME, content: csv }]) });
    const expected = await readAll(exclusionSourceAdapter('sam'), csv);
    const run = await runSync('sam', true);
    assert.equal(run.error, undefined, String(run.error));
    assert.equal(run.result?.rowCount, expected.records.length);
    assert.equal(run.result?.rejectedRows, expected.reader.rejectedCount);
    assert.ok(
      expected.reader.rejectedCount >= 2,
      'an unknown Classification and wrong dates are rejected rows',
    );
    const request = site.requests.filter((url) => url.startsWith(PATHS.sam)).at(-1) ?? '';
    assert.match(request, /[?&]api_key=test-sam-key(&|$)/, 'SAM_API_KEY is added as api_key');
    assert.match((await checkOf(run.workflowId)).archive_key ?? '', /^exclusion-sources\/sam\/.*\.zip$/);
    assert.equal((await checkOf(run.workflowId)).source_updated_on, '2026-12-04', 'the date in …_26338.CSV');
    assert.deepEqual(
      (await matchesOf(organization.id)).map((m) => `${m.first_name} ${m.source} ${m.reason}`),
      ['Sample sam name'],
    );
  });

  it('a worker SIGKILLed mid-sync of SAM: the sync finishes with the exact rows, reading the archived file', async function () {
    this.timeout(300_000);
    const zip = await new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      samExtractZip({ rows: 60_000, seed: 7 })
        .on('data', (chunk: Buffer) => chunks.push(chunk))
        .on('end', () => resolve(Buffer.concat(chunks)))
        .on('error', reject);
    });
    site.set(PATHS.sam, { body: zip });
    const { openZippedCsv } = await import('../../domain/exclusion-sources/zipped-csv');
    const expected = new Set<string>();
    const { ExclusionListReader } = await import('../../domain/exclusion-sources/read-list');
    const reader = new ExclusionListReader(exclusionSourceAdapter('sam'));
    for await (const batch of reader.read((await openZippedCsv(zip, { label: 'SAM' })).stream)) {
      for (const { record } of batch) expected.add(record.exclusionKey);
    }
    const requests = site.requestsTo(PATHS.sam);

    const taskQueue = `source-kill-${randomUUID()}`;
    const workflowId = `exclusion-source-sync/sam/test-${randomUUID()}`;
    const handle = await stack().temporal.workflow.start(exclusionSourceSync, {
      taskQueue,
      workflowId,
      args: [{ sourceId: 'sam', trigger: 'manual', force: true }],
    });
    // The real cap: the 1 MiB of the other tests is for their ZIP bomb.
    const killOverrides = { ...overrides, EXCLUSION_SOURCE_MAX_CSV_BYTES: undefined };
    const doomed = await startWorkerProcess(taskQueue, killOverrides);
    // Killed mid-COPY once the attempt has recorded the archive (which it stores while reading the file).
    let archived = false;
    let copied = 0;
    try {
      const deadline = Date.now() + 150_000;
      while (copied === 0 && Date.now() < deadline && doomed.child.exitCode === null) {
        archived ||= (await heartbeatOf(handle))?.archiveKey !== undefined;
        if (archived) {
          const [progress] = await query<{ n: number }>(
            stack().sequelize,
            `SELECT coalesce(max(tuples_processed), 0)::int AS n FROM pg_stat_progress_copy
              WHERE relid::regclass::text LIKE '%exclusion_source_staging%'`,
          );
          copied = progress?.n ?? 0;
        }
        if (copied === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      }
    } finally {
      await doomed.kill9();
    }
    assert.ok(archived, 'the attempt recorded the archive before the kill');
    assert.ok(copied > 0 && copied < expected.size, `the worker was killed mid-COPY (${copied} rows copied)`);

    const worker = await stack().createWorker(taskQueue, {
      ...killOverrides,
      EXCLUSION_SOURCE_MAX_CSV_BYTES: 512 << 20,
    });
    const result = await worker.runUntil(async () => {
      const done = await handle.result();
      if (done.rescreenWorkflowId)
        await stack().temporal.workflow.getHandle(done.rescreenWorkflowId).result();
      return done;
    });
    assert.equal(result.status, 'imported');
    assert.equal(result.rowCount, expected.size);
    const keys = await query<{ exclusion_key: string }>(
      stack().sequelize,
      `SELECT exclusion_key FROM exclusion_source_records WHERE source = 'sam'`,
    );
    assert.deepEqual(new Set(keys.map((row) => row.exclusion_key)), expected, 'exactly the rows of the file');
    const check = await checkOf(workflowId);
    assert.deepEqual([check.status, check.row_count], ['imported', expected.size]);
    assert.equal(site.requestsTo(PATHS.sam) - requests, 1, 'the retry read the archived file, not the site');
    const history = await handle.fetchHistory();
    const started = (history.events ?? []).find(
      (event) =>
        event.activityTaskStartedEventAttributes &&
        (event.activityTaskStartedEventAttributes.attempt ?? 0) >= 2,
    );
    assert.ok(started, 'the import ran again after the kill');
  });

  describe('bad input: a failed check with a reason, and the previous list in force', () => {
    const cases: {
      name: string;
      source: ExclusionSourceId;
      response: () => { body: Buffer | string; contentType?: string; stallAfter?: number };
      type: string;
      reason: RegExp;
    }[] = [
      {
        name: 'an HTML page where the CSV is expected',
        source: 'pa_medicheck',
        response: () => ({
          body: '<!DOCTYPE html><html><body>Service unavailable</body></html>',
          contentType: 'text/html',
        }),
        type: 'ExclusionSourceNotCsv',
        reason: /HTML/,
      },
      {
        name: 'an HTML page where the ZIP is expected',
        source: 'sam',
        response: () => ({
          body: '<html><head><title>Login</title></head></html>',
          contentType: 'text/html',
        }),
        type: 'ExclusionSourceNotZip',
        reason: /HTML\/XML page, not the ZIP/,
      },
      {
        name: 'a ZIP holding no CSV',
        source: 'sam',
        response: () => ({ body: zips.noCsv }),
        type: 'ExclusionSourceNoCsvInZip',
        reason: /no CSV/,
      },
      {
        name: 'a ZIP holding two CSVs',
        source: 'sam',
        response: () => ({ body: zips.twoCsvs }),
        type: 'ExclusionSourceManyCsvInZip',
        reason: /CSV/,
      },
      {
        name: 'a ZIP whose CSV inflates past the cap (a ZIP bomb)',
        source: 'sam',
        response: () => ({ body: zips.bomb }),
        type: 'ExclusionSourceTooLarge',
        reason: /MiB|cap|limit/i,
      },
      {
        name: 'a corrupt ZIP',
        source: 'sam',
        response: () => ({ body: zips.corrupt }),
        type: 'ExclusionSourceCorruptZip',
        reason: /corrupt|cannot be inflated/,
      },
      {
        name: 'a CSV missing a required column',
        source: 'pa_medicheck',
        response: () => ({ body: paFile(30).replace('NAM_LAST_PROVR', 'SURNAME') }),
        type: 'ExclusionSourceMissingColumn',
        reason: /NAM_LAST_PROVR/,
      },
      {
        name: 'a list shorter than 90 % of the previous one',
        source: 'pa_medicheck',
        response: () => ({ body: paFile(20) }),
        type: 'ExclusionSourceTooFewRows',
        reason: /fewer than 90 %/,
      },
      {
        name: 'a download that stalls midway',
        source: 'pa_medicheck',
        response: () => ({ body: paFile(31), stallAfter: 200 }),
        type: 'ExclusionSourceUnreachable',
        reason: /stalled: no data for 1 s/,
      },
    ];

    const zips: Record<'noCsv' | 'twoCsvs' | 'bomb' | 'corrupt', Buffer> = {} as never;

    before(async () => {
      site.set(PATHS.pa_medicheck, { body: paFile(31), contentType: 'text/csv' });
      assert.equal((await runSync('pa_medicheck', true)).result?.status, 'imported');
      const sam = fixture('sam.csv');
      site.set(PATHS.sam, { body: await zipBuffer([{ name: SAM_CSV_NAME, content: sam }]) });
      assert.equal((await runSync('sam', true)).result?.status, 'imported');
      zips.noCsv = await zipBuffer([{ name: 'README.txt', content: 'no list here' }]);
      zips.twoCsvs = await zipBuffer([
        { name: SAM_CSV_NAME, content: sam },
        { name: 'other.csv', content: sam },
      ]);
      // 4 MiB of one repeated row against the 1 MiB cap of these tests: it deflates to a few KiB.
      const header = sam.subarray(0, sam.indexOf('\n') + 1);
      const row = sam.subarray(header.length, sam.indexOf('\n', header.length) + 1);
      zips.bomb = await zipBuffer([
        {
          name: SAM_CSV_NAME,
          content: Buffer.concat([header, ...Array(Math.ceil((4 << 20) / row.length)).fill(row)]),
        },
      ]);
      const whole = await zipBuffer([{ name: SAM_CSV_NAME, content: sam }]);
      zips.corrupt = Buffer.concat([whole.subarray(0, 200), Buffer.alloc(64, 0x5a), whole.subarray(264)]);
    });

    for (const testCase of cases) {
      it(`refuses ${testCase.name}`, async () => {
        const before = await countSourceRecords(stack().sequelize, testCase.source);
        site.set(PATHS[testCase.source as keyof typeof PATHS], testCase.response());
        const path = PATHS[testCase.source as keyof typeof PATHS];
        const requests = site.requestsTo(path);
        const run = await runSync(testCase.source);
        const failure = activityFailure(run.error);
        assert.equal(failure.type, testCase.type);
        const check = await checkOf(run.workflowId);
        assert.equal(check.status, 'failed');
        assert.match(check.error ?? '', new RegExp(`^${testCase.type}: `));
        assert.match(check.error ?? '', testCase.reason);
        assert.equal(
          await countSourceRecords(stack().sequelize, testCase.source),
          before,
          'the list in force stays',
        );
        if (testCase.type !== 'ExclusionSourceUnreachable') {
          const archived = new RegExp(`^exclusion-sources/${testCase.source}/`);
          assert.match(check.archive_key ?? '', archived, 'what the site served is archived');
        }
        const attempts = site.requestsTo(path) - requests;
        assert.equal(
          attempts,
          testCase.type === 'ExclusionSourceUnreachable' ? 3 : 1,
          'retried only when it may help',
        );
      });
    }

    it('takes the short list when forced', async () => {
      site.set(PATHS.pa_medicheck, { body: paFile(20) });
      const run = await runSync('pa_medicheck', true);
      assert.equal(run.result?.status, 'imported');
      assert.equal(await countSourceRecords(stack().sequelize, 'pa_medicheck'), 20);
    });
  });
});
