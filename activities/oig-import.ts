import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { ApplicationFailure, Context } from '@temporalio/activity';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { QueryTypes } from 'sequelize';
import {
  AFFECTED_HASHES,
  COPY_STAGING_RAW,
  CREATE_STAGING_RAW,
  DELETE_REMOVED,
  INSERT_ADDED,
  INVALID_FIELDS_TOTAL,
  LIST_HASHES,
  STAGE_AFFECTED,
  STAGE_NEXT,
  UPDATE_CHANGED,
} from '../db/oig-list-sql';
import {
  LeieFailureType,
  LeieFormatError,
  LeieRecordSplitter,
  leieArchiveKey,
  rowCountProblem,
} from '../domain/leie';
import {
  KeptRecords,
  RECORD_HASH_BYTES,
  RecordHashMultiset,
  recordHash,
  recordHashHex,
} from '../domain/leie-record-hashes';
import type { ActivityDeps } from './deps';
import {
  type CheckQuery,
  copyFailure,
  failureFrom,
  insertCheck,
  LeieDownloadInspector,
  type OigBaseline,
  type OigCheckRecord,
  OigFailureType,
  requestLeieCsv,
} from './oig';

export type OigImport =
  | { outcome: 'not-modified'; etag: string | null; lastModified: string | null }
  | { outcome: 'same-file'; sha256: string; etag: string | null; lastModified: string | null }
  | {
      outcome: 'imported';
      etag: string | null;
      lastModified: string | null;
      sha256: string;
      archiveKey: string;
      rowCount: number;
      added: number;
      removed: number;
      updated: number;
      invalidFields: number;
    };

/** What a failure after the download knows about the file: the workflow records it in the check. */
export interface OigFileFacts {
  etag: string | null;
  lastModified: string | null;
  sha256: string | null;
  archiveKey: string | null;
}

/** The failure type of a sync that classified the file against a list another writer changed since. */
export const OIG_LIST_CHANGED = 'OigListChanged';

const SPOOL_DIR = path.join(os.tmpdir(), 'ale-oig');
/** Spool files older than this belong to a worker that died (the activity times out long before). */
const STALE_SPOOL_MS = 6 * 60 * 60 * 1000;
/** Big reads for the archive upload (≈ 2× faster to moto than the 64 KB default). */
const ARCHIVE_READ_BYTES = 1024 * 1024;
/** The spool file's write buffer: big enough that writing it never holds the download back. */
const SPOOL_WRITE_BYTES = 4 * 1024 * 1024;
interface ListHashes {
  version: string;
  /** Rows in the list, hashed or not. */
  total: number;
  /** Unreadable dates in the list's rows. */
  invalidFields: number;
  hashes: RecordHashMultiset;
}

/** The list's record hashes (multiset), row count, unreadable dates and version, in one snapshot. */
async function readListHashes(client: pg.Client): Promise<ListHashes> {
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
  const { rows } = await client.query<{ version: string }>('SELECT version::text FROM oig_list_version');
  const chunks: Buffer[] = [];
  for await (const chunk of client.query(copyTo(LIST_HASHES)) as AsyncIterable<Buffer>) chunks.push(chunk);
  await client.query('COMMIT');
  const { total, invalidFields, hashes } = parseListCopy(Buffer.concat(chunks));
  return { version: rows[0]?.version ?? '0', total, invalidFields, hashes: new RecordHashMultiset(hashes) };
}

const BINARY_COPY_SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

/** Binary COPY rows of (row_hash bytea, invalid_fields smallint): the known hashes concatenated. */
function parseListCopy(data: Buffer): { total: number; invalidFields: number; hashes: Buffer } {
  if (!data.subarray(0, BINARY_COPY_SIGNATURE.length).equals(BINARY_COPY_SIGNATURE)) {
    throw new Error('the OIG list hashes are not a binary COPY stream');
  }
  // Signature, flags, then the header extension's length and bytes.
  let at = BINARY_COPY_SIGNATURE.length + 4;
  at += 4 + data.readUInt32BE(at);
  const hashes = Buffer.allocUnsafe(data.length);
  let known = 0;
  let total = 0;
  let invalidFields = 0;
  while (data.readInt16BE(at) !== -1) {
    const hashLength = data.readInt32BE(at + 2);
    at += 6;
    if (hashLength === RECORD_HASH_BYTES) {
      data.copy(hashes, known * RECORD_HASH_BYTES, at, at + RECORD_HASH_BYTES);
      known++;
    } else if (hashLength !== -1) throw new Error(`a row_hash of ${hashLength} bytes (16 expected)`);
    at += Math.max(hashLength, 0);
    const invalidLength = data.readInt32BE(at);
    at += 4;
    if (invalidLength === 2) invalidFields += data.readInt16BE(at);
    at += Math.max(invalidLength, 0);
    total++;
  }
  return { total, invalidFields, hashes: hashes.subarray(0, known * RECORD_HASH_BYTES) };
}

/** Removes spool files a killed worker left behind. */
async function sweepSpool() {
  await fs.promises.mkdir(SPOOL_DIR, { recursive: true });
  for (const name of await fs.promises.readdir(SPOOL_DIR)) {
    const file = path.join(SPOOL_DIR, name);
    const stat = await fs.promises.stat(file).catch(() => null);
    if (stat && Date.now() - stat.mtimeMs > STALE_SPOOL_MS) await fs.promises.rm(file, { force: true });
  }
}

/** Writes with backpressure; an 'error' of the stream rejects the wait. */
async function write(stream: Writable, chunk: Buffer) {
  if (!stream.write(chunk)) await once(stream, 'drain');
}

/** `:name` replacements → pg's `$n` parameters (`::type` casts are left alone). */
function named(sql: string, values: Record<string, unknown>): { text: string; values: unknown[] } {
  const order: unknown[] = [];
  const positions = new Map<string, number>();
  const text = sql.replace(/(?<!:):([A-Za-z]\w*)/g, (_m, name: string) => {
    if (!positions.has(name)) {
      order.push(values[name]);
      positions.set(name, order.length);
    }
    return `$${positions.get(name)}`;
  });
  return { text, values: order };
}

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
    async importOigList(input: {
      check: OigCheckRecord;
      baseline: OigBaseline | null;
      force: boolean;
    }): Promise<OigImport> {
      const { check, baseline, force } = input;
      const done = await importedCheck(check.checkId);
      // A retry after a commit whose completion was lost: the list is already swapped.
      if (done) return done;

      const url = config.OIG_CSV_DOWNLOAD_URL;
      const client = new pg.Client({ connectionString: config.DATABASE_URL, application_name: 'oig-sync' });
      const connected = client.connect().then(async () => {
        await client.query(`SET temp_buffers = '64MB'`);
        return readListHashes(client);
      });
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
        const list = await connected.catch((error: unknown) => {
          body.destroy();
          throw error;
        });
        const staged = await streamIntoStaging(client, body, spool, list, url);
        const facts: OigFileFacts = { etag, lastModified, sha256: staged.sha256, archiveKey: null };
        if (!force && baseline?.sha256 === staged.sha256 && !staged.formatError) {
          return { outcome: 'same-file', sha256: staged.sha256, etag, lastModified };
        }

        const date = check.sourceUpdatedOn ?? new Date().toISOString().slice(0, 10);
        facts.archiveKey = leieArchiveKey(config.AWS_S3_KEY_PREFIX, date, staged.sha256);
        const archived = s3
          .send(
            new PutObjectCommand({
              Bucket: config.AWS_S3_BUCKET_NAME,
              Key: facts.archiveKey,
              Body: fs.createReadStream(spool, { highWaterMark: ARCHIVE_READ_BYTES }),
              ContentLength: staged.bytes,
              ContentType: 'text/csv',
              // The hash we already have: S3 verifies it, and the SDK need not checksum the file again.
              ChecksumSHA256: Buffer.from(staged.sha256, 'hex').toString('base64'),
              Metadata: { sha256: staged.sha256, ...(etag ? { etag } : {}) },
            }),
          )
          .then(() => log.info({ archiveKey: facts.archiveKey, bytes: staged.bytes }, 'LEIE file archived'));
        archived.catch(() => {});
        try {
          if (staged.formatError) throw failureFrom(staged.formatError);
          const context = Context.current();
          const beat = setInterval(() => context.heartbeat({ phase: 'apply' }), 2_000);
          const applied = await applyDifference(client, {
            record: { ...check, ...facts },
            list,
            lines: staged.lines,
            kept: staged.kept,
            archived,
          }).finally(() => clearInterval(beat));
          return {
            outcome: 'imported',
            ...facts,
            sha256: staged.sha256,
            archiveKey: facts.archiveKey,
            ...applied,
          };
        } catch (error) {
          await archived.catch(() => {});
          throw withFacts(error, facts);
        }
      } finally {
        await client.end().catch(() => {});
        await fs.promises.rm(spool, { force: true });
      }
    },
  };

  async function importedCheck(checkId: string): Promise<OigImport | null> {
    const [row] = await sequelize.query<{
      etag: string | null;
      lastModified: string | null;
      sha256: string;
      archiveKey: string;
      rowCount: number;
      added: number;
      removed: number;
      invalidFields: number | null;
    }>(
      `SELECT etag, last_modified AS "lastModified", sha256, archive_key AS "archiveKey", row_count AS "rowCount",
              added, removed, invalid_fields AS "invalidFields"
         FROM oig_exclusions_check WHERE id = :checkId AND status = 'imported'`,
      { type: QueryTypes.SELECT, replacements: { checkId } },
    );
    if (!row) return null;
    return { outcome: 'imported', ...row, updated: 0, invalidFields: row.invalidFields ?? 0 };
  }

  /**
   * One pass over the download: inspector (bounds, HTML/empty/header, sha256, heartbeat) → spool
   * file (for the archive) and record splitter → COPY of the records the list does not hold. A
   * malformed record stops the COPY but not the spooling, so the refused file is still archived.
   */
  async function streamIntoStaging(
    client: pg.Client,
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
    const kept = new KeptRecords();
    let out: Buffer[] = [];
    const splitter = new LeieRecordSplitter((record, line) => {
      const rowHash = recordHash(record);
      const taken = list.hashes.take(rowHash);
      if (taken >= 0) kept.add(line, taken);
      else {
        freshLines.push(line);
        out.push(Buffer.from(`${line},\\x${recordHashHex(rowHash)},`), record, NEWLINE);
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
    await client.query(CREATE_STAGING_RAW);
    const copy = client.query(copyFrom(COPY_STAGING_RAW));
    const copyDone = finished(copy);
    copyDone.catch(() => {});
    const flush = async () => {
      if (out.length === 0) return;
      const data = Buffer.concat(out);
      out = [];
      await write(copy, data);
    };
    try {
      try {
        for await (const chunk of body as AsyncIterable<Buffer>) {
          const checked = inspector.check(chunk);
          await write(file, checked);
          split(false, checked);
          await flush();
        }
        inspector.finish();
      } catch (error) {
        if (error instanceof LeieFormatError) throw failureFrom(error);
        if (error instanceof ApplicationFailure) throw error;
        // COPY refused a fresh record (invalid UTF-8…) while the download went on.
        if (error instanceof pg.DatabaseError)
          throw copyFailure(error, (copyLine) => freshLines[copyLine - 1]);
        throw ApplicationFailure.retryable(
          `the LEIE download from ${url} broke off after ${inspector.bytes} bytes (${(error as Error).message})`,
          OigFailureType.unreachable,
        );
      }
      file.end();
      await finished(file);
      try {
        split(true);
        await flush();
        copy.end();
        await copyDone;
      } catch (error) {
        throw copyFailure(error, (copyLine) => freshLines[copyLine - 1]);
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

  /**
   * The swap: one transaction under the list's advisory lock — refused below 90 % of the current
   * rows, refused (retryably) when the list changed since its hashes were read, otherwise the
   * affected groups' rows deleted/updated/inserted, the added/removed keys logged and the
   * `imported` check written; committed once the archive is stored.
   */
  async function applyDifference(
    client: pg.Client,
    input: {
      record: OigCheckRecord;
      list: ListHashes;
      lines: number;
      kept: KeptRecords;
      archived: Promise<unknown>;
    },
  ) {
    const { record, list } = input;
    const one = async (sql: string, values: unknown[] = []) => (await client.query(sql, values)).rows[0];
    await client.query('BEGIN');
    try {
      await client.query(`SELECT pg_advisory_xact_lock(hashtext('oig_employees_exclusion'))`);
      const { version } = await one('SELECT version::text FROM oig_list_version FOR UPDATE');
      if (version !== list.version) {
        throw ApplicationFailure.retryable(
          'the OIG list changed while this file was being staged (another sync?); staging again',
          OIG_LIST_CHANGED,
        );
      }
      const problem = rowCountProblem(list.total, input.lines);
      if (problem) throw ApplicationFailure.nonRetryable(problem, LeieFailureType.tooFewRows);

      // The list's rows no record of the file took: their records are gone from the file.
      const gone = list.hashes.untaken();
      for (const sql of STAGE_AFFECTED) await client.query(sql, sql.includes('$1') ? [gone] : []);
      const affected = (await client.query<{ h: string }>(AFFECTED_HASHES)).rows.map(({ h }) => h);
      const kept = input.kept.select(list.hashes, affected);
      await client.query(STAGE_NEXT, [kept.lines, kept.hashes]);
      const query: CheckQuery = (sql, replacements) => {
        const { text, values } = named(sql, replacements);
        return client.query(text, values);
      };
      await insertCheck(query, { ...record, status: 'imported', rowCount: input.lines });
      const removed = (await one(DELETE_REMOVED, [record.checkId])).n as number;
      const updated = (await one(UPDATE_CHANGED)).n as number;
      const added = (await one(INSERT_ADDED, [record.checkId])).n as number;
      if (list.total - removed + added !== input.lines) {
        throw new Error(
          `the OIG difference does not add up: ${list.total} − ${removed} + ${added} ≠ ${input.lines} records`,
        );
      }
      const invalidFields = (await one(INVALID_FIELDS_TOTAL, [list.invalidFields])).n as number;
      await query(
        `UPDATE oig_exclusions_check SET added = :added, removed = :removed, invalid_fields = :invalidFields,
                duration_ms = (extract(epoch FROM clock_timestamp()) * 1000)::bigint - :startedAt
          WHERE id = :id`,
        { id: record.checkId, added, removed, invalidFields, startedAt: record.startedAt },
      );
      await input.archived;
      await client.query('COMMIT');
      const result = { rowCount: input.lines, added, removed, updated, invalidFields };
      log.info({ checkId: record.checkId, ...result }, 'LEIE list swapped in');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    }
  }
}

const NEWLINE = Buffer.from('\n');

/** The failure, carrying what is known of the file for the workflow's `failed` check. */
function withFacts(error: unknown, facts: OigFileFacts): ApplicationFailure {
  if (error instanceof ApplicationFailure) {
    return ApplicationFailure.create({
      message: error.message,
      type: error.type ?? undefined,
      nonRetryable: error.nonRetryable ?? undefined,
      details: [facts],
      cause: error.cause,
    });
  }
  const cause = error as Error;
  return ApplicationFailure.create({
    message: cause?.message ?? String(error),
    type: cause?.name ?? 'Error',
    details: [facts],
    cause,
  });
}
