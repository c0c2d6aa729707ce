import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { ApplicationFailure, Context } from '@temporalio/activity';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { QueryTypes } from 'sequelize';
import { RECORD_COLUMNS } from '../db/oig-list-sql';
import {
  describeCopyFormatError,
  LeieFailureType,
  LeieFormatError,
  leieArchiveKey,
  leieBodyProblem,
  leieHeaderProblem,
  MAX_LEIE_BYTES,
  parseOigPageUpdateDate,
  rowCountProblem,
} from '../domain/leie';
import type { ActivityDeps } from './deps';

/** The OIG page is small HTML; anything bigger is not it. */
const MAX_PAGE_BYTES = 5 * 1024 * 1024;
const HTTP_TIMEOUT_MS = 30_000;
/** The header must fit in this many bytes, or the file is not the LEIE. */
const MAX_HEADER_BYTES = 64 * 1024;
/** A download heartbeats at most this often: each heartbeat is encrypted and handed to the SDK. */
const DOWNLOAD_HEARTBEAT_MS = 1_000;

export const OigFailureType = {
  /** Network error or timeout talking to the OIG site: retried, then the check fails. */
  unreachable: 'OigSiteUnreachable',
  /** The OIG site answered with an HTTP error status: retried, then the check fails. */
  httpError: 'OigSiteHttpError',
  ...LeieFailureType,
} as const;

/** What the last good list came from: the latest import, or a later check that verified the same file. */
export interface OigBaseline {
  checkId: string;
  sourceUpdatedOn: string | null;
  etag: string | null;
  lastModified: string | null;
  sha256: string | null;
}

export type OigDownload =
  | { outcome: 'not-modified'; etag: string | null; lastModified: string | null }
  | { outcome: 'same-file'; sha256: string; etag: string | null; lastModified: string | null }
  | {
      outcome: 'downloaded';
      archiveKey: string;
      sha256: string;
      etag: string | null;
      lastModified: string | null;
      bytes: number;
    };

export interface OigCheckRecord {
  checkId: string;
  trigger: 'schedule' | 'manual';
  workflowId: string;
  /** Workflow start (epoch ms): the check's duration runs from here to the moment it is recorded. */
  startedAt: number;
  sourceUpdatedOn: string | null;
  etag?: string | null;
  lastModified?: string | null;
  sha256?: string | null;
  archiveKey?: string | null;
  warning?: string | null;
  error?: string | null;
  invalidFields?: number | null;
}

export interface OigApplyResult {
  rowCount: number;
  added: number;
  removed: number;
  updated: number;
}

const DATE_COLUMNS = new Set(['dob', 'excldate', 'reindate', 'waiverdate']);
const NAME_NORMS = `ale_normalize_name(s.lastname), ale_normalize_name(s.firstname),
  CASE WHEN s.lastname IS NULL AND s.firstname IS NULL THEN ale_normalize_name(s.busname)
       ELSE ale_normalize_name(coalesce(s.firstname, '') || ' ' || coalesce(s.lastname, '')) END`;

/** One staging table pair per workflow, so a manual and a scheduled sync never share one. */
function stagingTables(): { raw: string; typed: string } {
  const workflowId = Context.current().info.workflowExecution?.workflowId ?? 'standalone';
  const suffix = createHash('sha256').update(workflowId).digest('hex').slice(0, 16);
  return { raw: `oig_staging_raw_${suffix}`, typed: `oig_staging_${suffix}` };
}

export function failureFrom(error: LeieFormatError): ApplicationFailure {
  return ApplicationFailure.nonRetryable(error.message, error.type);
}

export async function fetchFromOig(url: string, headers: Record<string, string> = {}): Promise<Response> {
  const signal = AbortSignal.any([
    Context.current().cancellationSignal,
    AbortSignal.timeout(HTTP_TIMEOUT_MS),
  ]);
  let response: Response;
  try {
    response = await fetch(url, { headers, signal, redirect: 'follow' });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const reason = cause?.code ?? cause?.message ?? (error as Error).message;
    throw ApplicationFailure.retryable(`${url} is unreachable (${reason})`, OigFailureType.unreachable);
  }
  if (response.status >= 400) {
    await response.body?.cancel();
    throw ApplicationFailure.retryable(
      `${url} answered HTTP ${response.status} ${response.statusText}`.trim(),
      OigFailureType.httpError,
    );
  }
  return response;
}

/**
 * GET the LEIE CSV, conditional on the baseline's ETag/Last-Modified unless forced. A 304 is
 * `not-modified`; a body announced over the cap, or none at all, fails non-retryably.
 */
export async function requestLeieCsv(
  url: string,
  baseline: OigBaseline | null,
  force: boolean,
): Promise<
  | { outcome: 'not-modified'; etag: string | null; lastModified: string | null }
  | { outcome: 'body'; body: ReadableStream<Uint8Array>; etag: string | null; lastModified: string | null }
> {
  const headers: Record<string, string> = {};
  if (!force && baseline?.etag) headers['if-none-match'] = baseline.etag;
  if (!force && baseline?.lastModified) headers['if-modified-since'] = baseline.lastModified;
  const response = await fetchFromOig(url, headers);
  const etag = response.headers.get('etag');
  const lastModified = response.headers.get('last-modified');
  if (response.status === 304) {
    await response.body?.cancel().catch(() => {});
    return { outcome: 'not-modified', etag: etag ?? baseline?.etag ?? null, lastModified };
  }
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > MAX_LEIE_BYTES) {
    await response.body?.cancel().catch(() => {});
    throw ApplicationFailure.nonRetryable(
      `the LEIE download announces ${declared} bytes, more than the ${MAX_LEIE_BYTES / 1024 / 1024} MB limit`,
      LeieFailureType.tooLarge,
    );
  }
  if (!response.body)
    throw failureFrom(new LeieFormatError(LeieFailureType.empty, 'the LEIE download is empty'));
  return { outcome: 'body', body: response.body, etag, lastModified };
}

/**
 * Counts, hashes and bounds the download while it streams, and checks its first line: an HTML page,
 * an empty body or a changed header is refused before anything is archived or loaded.
 */
export class LeieDownloadInspector {
  readonly hash = createHash('sha256');
  bytes = 0;
  private head = '';
  private headChecked = false;
  private lastHeartbeat = 0;

  /** The chunk, once counted and hashed; throws a LeieFormatError for a file that is not the LEIE. */
  check(chunk: Buffer): Buffer {
    this.bytes += chunk.length;
    if (this.bytes > MAX_LEIE_BYTES) {
      throw new LeieFormatError(
        LeieFailureType.tooLarge,
        `the LEIE download exceeds ${MAX_LEIE_BYTES / 1024 / 1024} MB; the real file is ≈ 15 MB`,
      );
    }
    this.hash.update(chunk);
    const now = Date.now();
    if (now - this.lastHeartbeat >= DOWNLOAD_HEARTBEAT_MS) {
      this.lastHeartbeat = now;
      Context.current().heartbeat({ bytes: this.bytes });
    }
    if (!this.headChecked) {
      this.head += chunk.toString('utf8', 0, Math.min(chunk.length, MAX_HEADER_BYTES));
      const problem = this.inspectHead(false);
      if (problem) throw problem;
    }
    return chunk;
  }

  /** At the end of the body: an empty body, or a header without rows, is refused. */
  finish(): void {
    const problem = this.headChecked ? null : this.inspectHead(true);
    if (problem) throw problem;
  }

  private inspectHead(atEnd: boolean): LeieFormatError | null {
    const bodyProblem = leieBodyProblem(this.head);
    if (bodyProblem && (bodyProblem.type !== LeieFailureType.empty || atEnd)) return bodyProblem;
    const newline = this.head.indexOf('\n');
    if (newline < 0 && !atEnd && this.head.length < MAX_HEADER_BYTES) return null;
    this.headChecked = true;
    const headerProblem = leieHeaderProblem(newline < 0 ? this.head : this.head.slice(0, newline));
    if (headerProblem) return new LeieFormatError(LeieFailureType.headerMismatch, headerProblem);
    if (newline < 0 || this.head.slice(newline + 1).trim() === '') {
      return new LeieFormatError(LeieFailureType.empty, 'the LEIE download has a header but no rows');
    }
    return null;
  }
}

/** The inspector as a stream stage (the download-to-disk path of `downloadOigCsv`). */
class InspectingTransform extends Transform {
  constructor(readonly inspector: LeieDownloadInspector) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
    try {
      callback(null, this.inspector.check(chunk));
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback) {
    try {
      this.inspector.finish();
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }
}

/** Drops the header line (already verified) so COPY receives only data rows. */
class HeaderStripper extends Transform {
  private pending: Buffer | null = Buffer.alloc(0);
  bytes = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
    this.bytes += chunk.length;
    Context.current().heartbeat({ bytes: this.bytes });
    if (this.pending === null) {
      callback(null, chunk);
      return;
    }
    const data = Buffer.concat([this.pending, chunk]);
    const newline = data.indexOf(0x0a);
    if (newline < 0) {
      if (data.length > MAX_HEADER_BYTES) {
        callback(new LeieFormatError(LeieFailureType.headerMismatch, 'the file has no header line'));
        return;
      }
      this.pending = data;
      callback();
      return;
    }
    const problem = leieHeaderProblem(data.subarray(0, newline).toString('utf8'));
    if (problem) {
      callback(new LeieFormatError(LeieFailureType.headerMismatch, problem));
      return;
    }
    this.pending = null;
    callback(null, data.subarray(newline + 1));
  }
}

/**
 * A COPY error as the file's problem. `fileLine` maps COPY's line number to the file's; by default
 * COPY got every data line after the header.
 */
export function copyFailure(
  error: unknown,
  fileLine: (copyLine: number) => number | undefined = (copyLine) => copyLine + 1,
): unknown {
  if (error instanceof LeieFormatError) return failureFrom(error);
  const pgError = error as { code?: string; message?: string; where?: string };
  const copyLine = Number(/line (\d+)/.exec(pgError.where ?? '')?.[1] ?? Number.NaN);
  const line = Number.isNaN(copyLine) ? undefined : fileLine(copyLine);
  if (pgError.code === '22P04') {
    return ApplicationFailure.nonRetryable(
      describeCopyFormatError(pgError.message ?? '', line === undefined ? undefined : `line ${line - 1}`),
      LeieFailureType.malformedRow,
    );
  }
  if (pgError.code === '22021') {
    return ApplicationFailure.nonRetryable(
      `the LEIE file is not valid UTF-8 (${line === undefined ? (pgError.where ?? pgError.message) : `line ${line}: ${pgError.message}`})`,
      LeieFailureType.malformedRow,
    );
  }
  return error;
}

export function createOigActivities({ config, sequelize, s3, logger }: ActivityDeps) {
  const log = logger.child({ component: 'oig-sync' });

  return {
    /** The "last update" date on OIG_WEBPAGE_URL; a page without a readable date is a warning, not an error. */
    async readOigPage(): Promise<{ sourceUpdatedOn: string | null; warning: string | null }> {
      const response = await fetchFromOig(config.OIG_WEBPAGE_URL);
      const chunks: Buffer[] = [];
      let bytes = 0;
      for await (const chunk of Readable.fromWeb(response.body as never) as AsyncIterable<Buffer>) {
        bytes += chunk.length;
        if (bytes > MAX_PAGE_BYTES) {
          await response.body?.cancel().catch(() => {});
          return {
            sourceUpdatedOn: null,
            warning: `the OIG page is larger than ${MAX_PAGE_BYTES / 1024 / 1024} MB; its date was not read`,
          };
        }
        chunks.push(chunk);
      }
      const parsed = parseOigPageUpdateDate(Buffer.concat(chunks).toString('utf8'));
      if ('problem' in parsed) {
        log.warn({ problem: parsed.problem }, 'OIG page date not readable');
        return { sourceUpdatedOn: null, warning: parsed.problem };
      }
      return { sourceUpdatedOn: parsed.date, warning: null };
    },

    async findOigBaseline(): Promise<OigBaseline | null> {
      const rows = await sequelize.query<OigBaseline>(
        `SELECT id AS "checkId", source_updated_on::text AS "sourceUpdatedOn", etag,
                last_modified AS "lastModified", sha256
           FROM oig_exclusions_check
          WHERE status = 'imported' OR (status = 'unchanged' AND sha256 IS NOT NULL)
          ORDER BY checked_at DESC, id DESC
          LIMIT 1`,
        { type: QueryTypes.SELECT },
      );
      return rows[0] ?? null;
    },

    /**
     * Streams OIG_CSV_DOWNLOAD_URL to a temporary file (hashing, bounding and checking it on the
     * way), then archives it to S3 as `oig/<date>-<sha256>.csv`. A conditional GET or an identical
     * hash short-cuts an unchanged file unless `force`.
     */
    async downloadOigCsv(input: {
      sourceUpdatedOn: string | null;
      baseline: OigBaseline | null;
      force: boolean;
    }): Promise<OigDownload> {
      const { baseline, force } = input;
      const url = config.OIG_CSV_DOWNLOAD_URL;
      const response = await requestLeieCsv(url, baseline, force);
      if (response.outcome === 'not-modified') return response;
      const { etag, lastModified } = response;

      const file = path.join(os.tmpdir(), `leie-${randomUUID()}.csv`);
      const inspector = new LeieDownloadInspector();
      try {
        try {
          await pipeline(
            Readable.fromWeb(response.body as never),
            new InspectingTransform(inspector),
            fs.createWriteStream(file),
            {
              signal: Context.current().cancellationSignal,
            },
          );
        } catch (error) {
          if (error instanceof LeieFormatError) throw failureFrom(error);
          throw ApplicationFailure.retryable(
            `the LEIE download from ${url} broke off after ${inspector.bytes} bytes (${(error as Error).message})`,
            OigFailureType.unreachable,
          );
        }
        const sha256 = inspector.hash.digest('hex');
        if (!force && baseline?.sha256 === sha256)
          return { outcome: 'same-file', sha256, etag, lastModified };

        const date = input.sourceUpdatedOn ?? new Date().toISOString().slice(0, 10);
        const archiveKey = leieArchiveKey(config.AWS_S3_KEY_PREFIX, date, sha256);
        await s3.send(
          new PutObjectCommand({
            Bucket: config.AWS_S3_BUCKET_NAME,
            Key: archiveKey,
            Body: fs.createReadStream(file),
            ContentLength: inspector.bytes,
            ContentType: 'text/csv',
            Metadata: { sha256, ...(etag ? { etag } : {}) },
          }),
        );
        log.info({ archiveKey, bytes: inspector.bytes }, 'LEIE file archived');
        return { outcome: 'downloaded', archiveKey, sha256, etag, lastModified, bytes: inspector.bytes };
      } finally {
        await fs.promises.rm(file, { force: true });
      }
    },

    /**
     * COPYs the archived file into this workflow's staging tables: raw text as published, then typed
     * rows with the LEIE rules of migration 0400 and each row's exclusion_key. Every attempt starts
     * from scratch (the tables are recreated), so a worker killed mid-COPY leaves nothing to resume.
     */
    async loadOigStaging(input: {
      archiveKey: string;
    }): Promise<{ rowCount: number; invalidFields: number }> {
      const { raw, typed } = stagingTables();
      const client = new pg.Client({ connectionString: config.DATABASE_URL, application_name: 'oig-sync' });
      await client.connect();
      try {
        await client.query(`DROP TABLE IF EXISTS ${raw}, ${typed};
          CREATE UNLOGGED TABLE ${raw} (line_no bigint GENERATED ALWAYS AS IDENTITY,
            ${RECORD_COLUMNS.map((column) => `${column} text`).join(', ')})`);
        const object = await s3.send(
          new GetObjectCommand({ Bucket: config.AWS_S3_BUCKET_NAME, Key: input.archiveKey }),
        );
        const copy = client.query(
          copyFrom(`COPY ${raw} (${RECORD_COLUMNS.join(', ')}) FROM STDIN WITH (FORMAT csv)`),
        );
        try {
          await pipeline(object.Body as Readable, new HeaderStripper(), copy, {
            signal: Context.current().cancellationSignal,
          });
        } catch (error) {
          throw copyFailure(error);
        }
        Context.current().heartbeat({ copied: copy.rowCount });

        const typedColumns = RECORD_COLUMNS.map((column) =>
          DATE_COLUMNS.has(column)
            ? `ale_leie_date(${column}) AS ${column}, ${column} AS raw_${column}`
            : column === 'npi'
              ? 'ale_leie_npi(npi) AS npi'
              : `nullif(btrim(${column}), '') AS ${column}`,
        );
        // A date field is invalid when the file has a value other than empty/00000000 and it did not parse.
        const invalidCount = [...DATE_COLUMNS]
          .map((column) => `(${column} IS NULL AND raw_${column} !~ '^\\s*0*\\s*$')::int`)
          .join(' + ');
        await client.query(`CREATE UNLOGGED TABLE ${typed} AS
          SELECT ale_leie_exclusion_key(lastname, firstname, midname, busname, dob, npi, upin, excltype, excldate)
                   AS exclusion_key,
                 line_no, ${RECORD_COLUMNS.join(', ')}, ${invalidCount} AS invalid_fields
            FROM (SELECT line_no, ${typedColumns.join(', ')} FROM ${raw}) r;
          DROP TABLE ${raw}`);
        // Rows identical in every identifying column (the LEIE has a few) get #2, #3… in file order:
        // none is dropped and the keys stay stable between reloads.
        await client.query(`UPDATE ${typed} t SET exclusion_key = t.exclusion_key || '#' || d.n
            FROM (SELECT line_no, row_number() OVER (PARTITION BY exclusion_key ORDER BY line_no) AS n
                    FROM ${typed}
                   WHERE exclusion_key IN (SELECT exclusion_key FROM ${typed} GROUP BY 1 HAVING count(*) > 1)) d
           WHERE d.line_no = t.line_no AND d.n > 1;
          ANALYZE ${typed}`);
        const { rows } = await client.query<{ row_count: number; invalid_fields: number }>(
          `SELECT count(*)::int AS row_count, coalesce(sum(invalid_fields), 0)::int AS invalid_fields FROM ${typed}`,
        );
        const result = { rowCount: rows[0]?.row_count ?? 0, invalidFields: rows[0]?.invalid_fields ?? 0 };
        log.info({ ...result, archiveKey: input.archiveKey }, 'LEIE file staged');
        return result;
      } finally {
        await client.end().catch(() => {});
      }
    },

    /**
     * Makes the staged list the current one in ONE transaction — removed rows deleted, changed rows
     * updated, new rows inserted (names normalized with ale_normalize_name), their keys written to
     * oig_exclusion_changes and the `imported` check row — so readers see the old list or the new
     * one, never a mix. A list below 90 % of the current one is refused and nothing changes.
     */
    async applyOigList(record: OigCheckRecord): Promise<OigApplyResult> {
      const { typed } = stagingTables();
      return sequelize.transaction(async (transaction) => {
        const query = <T extends object>(sql: string, replacements: Record<string, unknown> = {}) =>
          sequelize.query<T>(sql, { type: QueryTypes.SELECT, transaction, replacements });
        // A manual and a scheduled sync may finish together: their swaps run one after the other.
        await query(`SELECT pg_advisory_xact_lock(hashtext('oig_employees_exclusion'))`);
        const [done] = await query<OigApplyResult>(
          `SELECT row_count AS "rowCount", added, removed, 0 AS updated FROM oig_exclusions_check WHERE id = :id`,
          { id: record.checkId },
        );
        // A retry after a commit whose acknowledgement was lost: the list is already swapped.
        if (done) return done;

        const [counts] = await query<{ previous: number; next: number }>(
          `SELECT (SELECT count(*) FROM oig_employees_exclusion)::int AS previous,
                  (SELECT count(*) FROM ${typed})::int AS next`,
        );
        const previous = counts?.previous ?? 0;
        const next = counts?.next ?? 0;
        const problem = rowCountProblem(previous, next);
        if (problem) throw ApplicationFailure.nonRetryable(problem, LeieFailureType.tooFewRows);

        await insertCheck(query, { ...record, status: 'imported', rowCount: next });
        const [removed] = await query<{ n: number }>(
          `WITH gone AS (
             DELETE FROM oig_employees_exclusion o
              WHERE NOT EXISTS (SELECT 1 FROM ${typed} s WHERE s.exclusion_key = o.exclusion_key)
              RETURNING o.exclusion_key),
           logged AS (
             INSERT INTO oig_exclusion_changes (check_id, exclusion_key, change)
             SELECT :id, exclusion_key, 'removed' FROM gone RETURNING 1)
           SELECT count(*)::int AS n FROM logged`,
          { id: record.checkId },
        );
        const [updated] = await query<{ n: number }>(
          `WITH changed AS (
             UPDATE oig_employees_exclusion o
                SET ${RECORD_COLUMNS.map((column) => `${column} = s.${column}`).join(', ')},
                    (last_name_norm, first_name_norm, full_name_norm) = ROW(${NAME_NORMS}),
                    updated_at = now()
               FROM ${typed} s
              WHERE s.exclusion_key = o.exclusion_key
                AND (${RECORD_COLUMNS.map((column) => `o.${column}`).join(', ')})
                    IS DISTINCT FROM (${RECORD_COLUMNS.map((column) => `s.${column}`).join(', ')})
              RETURNING 1)
           SELECT count(*)::int AS n FROM changed`,
        );
        const [added] = await query<{ n: number }>(
          `WITH fresh AS (
             INSERT INTO oig_employees_exclusion
               (exclusion_key, ${RECORD_COLUMNS.join(', ')}, last_name_norm, first_name_norm, full_name_norm)
             SELECT s.exclusion_key, ${RECORD_COLUMNS.map((column) => `s.${column}`).join(', ')}, ${NAME_NORMS}
               FROM ${typed} s
              WHERE NOT EXISTS (SELECT 1 FROM oig_employees_exclusion o WHERE o.exclusion_key = s.exclusion_key)
              ORDER BY s.line_no
             RETURNING exclusion_key),
           logged AS (
             INSERT INTO oig_exclusion_changes (check_id, exclusion_key, change)
             SELECT :id, exclusion_key, 'added' FROM fresh RETURNING 1)
           SELECT count(*)::int AS n FROM logged`,
          { id: record.checkId },
        );
        const result = {
          rowCount: next,
          added: added?.n ?? 0,
          removed: removed?.n ?? 0,
          updated: updated?.n ?? 0,
        };
        await query(
          `UPDATE oig_exclusions_check SET added = :added, removed = :removed,
                  duration_ms = (extract(epoch FROM clock_timestamp()) * 1000)::bigint - :startedAt
            WHERE id = :id RETURNING id`,
          { id: record.checkId, added: result.added, removed: result.removed, startedAt: record.startedAt },
        );
        log.info({ checkId: record.checkId, ...result }, 'LEIE list swapped in');
        return result;
      });
    },

    /** An `unchanged` or `failed` check (idempotent: the check id is the workflow's). */
    async recordOigCheck(record: OigCheckRecord & { status: 'unchanged' | 'failed' }): Promise<void> {
      await insertCheck(
        (sql, replacements) => sequelize.query(sql, { type: QueryTypes.SELECT, replacements }),
        { ...record, rowCount: null },
      );
    },

    async dropOigStaging(): Promise<void> {
      const { raw, typed } = stagingTables();
      await sequelize.query(`DROP TABLE IF EXISTS ${raw}, ${typed}`);
    },
  };
}

/** Runs one statement with `:name` replacements (sequelize, or a pg client in a transaction). */
export type CheckQuery = (sql: string, replacements: Record<string, unknown>) => Promise<unknown>;

export async function insertCheck(
  query: CheckQuery,
  record: OigCheckRecord & { status: 'imported' | 'unchanged' | 'failed'; rowCount: number | null },
) {
  await query(
    `INSERT INTO oig_exclusions_check
       (id, checked_at, trigger, source_updated_on, etag, last_modified, sha256, status, row_count,
        invalid_fields, duration_ms, archive_key, warning, error, workflow_id, created_at, updated_at)
     VALUES (:id, now(), :trigger, :sourceUpdatedOn, :etag, :lastModified, :sha256, :status,
        coalesce(:rowCount, CASE WHEN :status = 'unchanged' THEN (SELECT count(*) FROM oig_employees_exclusion) END),
        :invalidFields, (extract(epoch FROM clock_timestamp()) * 1000)::bigint - :startedAt,
        :archiveKey, :warning, :error, :workflowId, now(), now())
     ON CONFLICT (id) DO NOTHING
     RETURNING id`,
    {
      id: record.checkId,
      trigger: record.trigger,
      sourceUpdatedOn: record.sourceUpdatedOn,
      etag: record.etag ?? null,
      lastModified: record.lastModified ?? null,
      sha256: record.sha256 ?? null,
      status: record.status,
      rowCount: record.rowCount,
      invalidFields: record.invalidFields ?? null,
      startedAt: record.startedAt,
      archiveKey: record.archiveKey ?? null,
      warning: record.warning ?? null,
      error: record.error ?? null,
      workflowId: record.workflowId,
    },
  );
}
