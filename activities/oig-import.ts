import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { ApplicationFailure, Context } from '@temporalio/activity';
import {
  applyListDifference,
  closeImportSession,
  copyFileProblem,
  findImportedCheck,
  type ImportSession,
  insertCheck,
  isDatabaseError,
  type ListHashes,
  openImportSession,
  readListHashes,
  StagingCopy,
} from '../db/exclusion-list-store';
import { ConflictError } from '../domain/errors';
import { LeieFormatError, LeieRecordSplitter, leieArchiveKey } from '../domain/leie';
import { KeptRecords, recordHash, recordHashHex } from '../domain/leie-record-hashes';
import type { SourceCheckRecord, SourceImport, SourceImportInput } from '../lib/exclusion-source-contract';
import {
  OIG_LIST_CHANGED,
  type OigFileFacts,
  type OigImport,
  type OigImportInput,
} from '../lib/workflow-contracts';
import type { ActivityDeps } from './deps';
import { withFacts } from './failure-facts';
import {
  archiveSpool,
  failureFrom,
  LeieDownloadInspector,
  OigFailureType,
  requestLeieCsv,
  SPOOL_DIR,
  SPOOL_WRITE_BYTES,
  sweepSpool,
} from './oig-download';

/** The swap heartbeats this often while its transaction runs. */
const APPLY_HEARTBEAT_MS = 2_000;

/**
 * The LEIE's list store in the one sync of every list (workflows/exclusion-source-sync.ts, docs/spec.md
 * §8): its rows keep their own table, oig_employees_exclusion, and its own one-pass import (a
 * conditional GET, the record-hash difference of db/exclusion-list-store.ts), which keeps the monthly
 * LEIE sync close to a bare COPY; its checks go to oig_exclusions_check, which /v1/oig/* read.
 */
export function createLeieListStore(deps: ActivityDeps) {
  const { sequelize } = deps;
  const { importOigList } = createOigImportActivities(deps);
  return {
    /** The generic import's answer for the LEIE: the OIG page's date and warning come with the check. */
    async importList({ check, force, baseline = null }: SourceImportInput): Promise<SourceImport> {
      const sourceUpdatedOn = check.sourceUpdatedOn ?? null;
      const imported = await importOigList({
        check: { ...leieCheck(check), sourceUpdatedOn },
        baseline,
        force,
      });
      const facts = {
        rejectedRows: null,
        sourceUpdatedOn,
        etag: imported.etag,
        lastModified: imported.lastModified,
      };
      switch (imported.outcome) {
        case 'not-modified':
          return { outcome: 'same-file', ...facts, sha256: baseline?.sha256 ?? null, archiveKey: null };
        case 'same-file':
          return { outcome: 'same-file', ...facts, sha256: imported.sha256, archiveKey: null };
        case 'imported': {
          const { sha256, archiveKey, invalidFields, rowCount, added, removed } = imported;
          return {
            outcome: 'imported',
            ...facts,
            sha256,
            archiveKey,
            invalidFields,
            rowCount,
            added,
            removed,
          };
        }
      }
    },

    /** An `unchanged` or `failed` check (idempotent: the check id is the workflow's). */
    async recordCheck(record: SourceCheckRecord & { status: 'unchanged' | 'failed' }): Promise<void> {
      await insertCheck(sequelize, {
        ...leieCheck(record),
        sourceUpdatedOn: record.sourceUpdatedOn ?? null,
        etag: record.etag,
        lastModified: record.lastModified,
        sha256: record.sha256,
        archiveKey: record.archiveKey,
        invalidFields: record.invalidFields,
        error: record.error,
        status: record.status,
        rowCount: null,
      });
    },
  };
}

/** The LEIE's check record from the generic one (the same fields, without `source`). */
function leieCheck(check: SourceCheckRecord) {
  const { checkId, trigger, workflowId, startedAt, warning } = check;
  return { checkId, trigger, workflowId, startedAt, sourceUpdatedOn: null, warning: warning ?? null };
}

/** `importOigList`: the LEIE's one-pass import; an activity of its own for `oigSync` runs started before. */
export function createOigImportActivities({ config, sequelize, s3, logger }: ActivityDeps) {
  const log = logger.child({ component: 'oig-sync' });

  return {
    /**
     * The whole import in one attempt, on one file: stream OIG_CSV_DOWNLOAD_URL once — checking,
     * bounding and hashing it, spooling it for the archive, splitting it into records — and COPY
     * into staging only the records the list does not hold yet; then archive the file to S3
     * (`oig/<date>-<sha256>.csv`) while the difference is applied in ONE transaction (committed
     * only once the archive is stored). A conditional GET or an identical hash short-cuts an
     * unchanged file unless `force`. A retry (a killed worker) downloads again and starts over: the
     * staging tables lived in the dead session, and nothing was committed.
     */
    async importOigList(input: OigImportInput): Promise<OigImport> {
      const { check, baseline, force } = input;
      const done = await findImportedCheck(sequelize, check.checkId);
      // A retry after a commit whose completion was lost: the list is already swapped.
      if (done) return done;

      const url = config.OIG_CSV_DOWNLOAD_URL;
      const opened = openImportSession(config.DATABASE_URL);
      const connected = opened.then(async (session) => ({ session, list: await readListHashes(session) }));
      connected.catch(() => {});
      const spool = path.join(SPOOL_DIR, `leie-${randomUUID()}.csv`);
      try {
        await sweepSpool();
        const response = await requestLeieCsv(url, baseline, force);
        if (response.outcome === 'not-modified') return response;
        const { etag, lastModified } = response;

        // Locked to a reader at once: fetch cancels the body of a Response collected while nobody
        // reads it. It is read once the list's hashes are in: a download held back costs nothing (TCP
        // flow control), while one read alongside would hold the file in memory and slow the read.
        const body = Readable.fromWeb(response.body as never, {
          signal: Context.current().cancellationSignal,
        });
        const { session, list } = await connected.catch((error: unknown) => {
          body.destroy();
          throw error;
        });
        const staged = await streamIntoStaging(session, body, spool, list, url);
        const facts: OigFileFacts = { etag, lastModified, sha256: staged.sha256, archiveKey: null };
        if (!force && baseline?.sha256 === staged.sha256 && !staged.formatError) {
          return { outcome: 'same-file', sha256: staged.sha256, etag, lastModified };
        }

        const date = check.sourceUpdatedOn ?? new Date().toISOString().slice(0, 10);
        const archiveKey = leieArchiveKey(config.AWS_S3_KEY_PREFIX, date, staged.sha256);
        facts.archiveKey = archiveKey;
        const archived = archiveSpool(
          { s3, config },
          { spool, key: archiveKey, bytes: staged.bytes, sha256: staged.sha256, etag },
        ).then(() => log.info({ archiveKey, bytes: staged.bytes }, 'LEIE file archived'));
        archived.catch(() => {});
        try {
          if (staged.formatError) throw failureFrom(staged.formatError);
          const context = Context.current();
          const beat = setInterval(() => context.heartbeat({ phase: 'apply' }), APPLY_HEARTBEAT_MS);
          const applied = await applyListDifference(session, {
            record: { ...check, ...facts },
            list,
            lines: staged.lines,
            kept: staged.kept,
            archived,
          }).finally(() => clearInterval(beat));
          log.info({ checkId: check.checkId, ...applied }, 'LEIE list swapped in');
          return { outcome: 'imported', ...facts, sha256: staged.sha256, archiveKey, ...applied };
        } catch (error) {
          await archived.catch(() => {});
          throw withFacts(applyFailure(error), facts);
        }
      } finally {
        await opened.then(closeImportSession, () => {});
        await fs.promises.rm(spool, { force: true });
      }
    },
  };
}

/**
 * One pass over the download: inspector (bounds, HTML/empty/header, sha256, heartbeat) → spool
 * file (for the archive) and record splitter → COPY of the records the list does not hold. A
 * malformed record stops the COPY but not the spooling, so the refused file is still archived.
 */
async function streamIntoStaging(
  session: ImportSession,
  body: Readable,
  spool: string,
  list: ListHashes,
  url: string,
) {
  const inspector = new LeieDownloadInspector();
  const file = fs.createWriteStream(spool, { highWaterMark: SPOOL_WRITE_BYTES });
  // A write still buffered when a refusal destroys the stream fails late; `finished` reports real errors.
  file.on('error', () => {});
  /** Line in the file of each fresh record, in COPY order (COPY's errors count its own lines). */
  const freshLines: number[] = [];
  const fileLine = (copyLine: number) => freshLines[copyLine - 1];
  const kept = new KeptRecords();
  const copy = await StagingCopy.begin(session);
  const splitter = new LeieRecordSplitter((record, line) => {
    const rowHash = recordHash(record);
    const taken = list.hashes.take(rowHash);
    if (taken >= 0) kept.add(line, taken);
    else {
      freshLines.push(line);
      copy.add(line, recordHashHex(rowHash), record);
    }
  });
  let formatError: LeieFormatError | null = null;
  const split = (end: boolean, chunk?: Buffer) => {
    if (formatError) return;
    try {
      if (end) splitter.end();
      else splitter.push(chunk as Buffer);
    } catch (error) {
      if (!(error instanceof LeieFormatError)) throw error;
      formatError = error;
    }
  };
  try {
    try {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        const checked = inspector.check(chunk);
        await write(file, checked);
        split(false, checked);
        await copy.flush();
      }
      inspector.finish();
    } catch (error) {
      if (error instanceof LeieFormatError) throw failureFrom(error);
      if (error instanceof ApplicationFailure) throw error;
      // COPY refused a fresh record (invalid UTF-8…) while the download went on.
      if (isDatabaseError(error)) throw copyFailure(error, fileLine);
      throw ApplicationFailure.retryable(
        `the LEIE download from ${url} broke off after ${inspector.bytes} bytes (${(error as Error).message})`,
        OigFailureType.unreachable,
      );
    }
    file.end();
    await finished(file);
    try {
      split(true);
      await copy.end();
    } catch (error) {
      throw copyFailure(error, fileLine);
    }
  } finally {
    if (!file.closed) file.destroy();
  }
  Context.current().heartbeat({ bytes: inspector.bytes, records: splitter.records });
  return {
    sha256: inspector.hash.digest('hex'),
    bytes: inspector.bytes,
    lines: splitter.records,
    kept,
    formatError,
  };
}

/** Writes with backpressure; an 'error' of the stream rejects the wait. */
async function write(stream: Writable, chunk: Buffer) {
  if (!stream.write(chunk)) await once(stream, 'drain');
}

/** A COPY error as the file's problem when it is one (a malformed record, invalid UTF-8). */
function copyFailure(error: unknown, fileLine: (copyLine: number) => number | undefined): unknown {
  if (error instanceof LeieFormatError) return failureFrom(error);
  const problem = copyFileProblem(error, fileLine);
  return problem ? failureFrom(problem) : error;
}

/** The swap's refusals: a list changed by another writer is staged again; a short list never. */
function applyFailure(error: unknown): unknown {
  if (error instanceof ConflictError) return ApplicationFailure.retryable(error.message, OIG_LIST_CHANGED);
  if (error instanceof LeieFormatError) return failureFrom(error);
  return error;
}
