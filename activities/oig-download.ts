import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ApplicationFailure, Context } from '@temporalio/activity';
import {
  LeieFailureType,
  LeieFormatError,
  leieBodyProblem,
  leieHeaderProblem,
  MAX_LEIE_BYTES,
} from '../domain/leie';
import type { Config } from '../lib/config';
import type { OigBaseline } from '../lib/workflow-contracts';

/**
 * The OIG site and the archive: HTTP requests to the site with their failure classification, the
 * checks a download passes while it streams, and the spool file the archive is uploaded from.
 */

/** The OIG page is small HTML; anything bigger is not it. */
const MAX_PAGE_BYTES = 5 * 1024 * 1024;
const HTTP_TIMEOUT_MS = 30_000;
/** The header must fit in this many bytes, or the file is not the LEIE. */
const MAX_HEADER_BYTES = 64 * 1024;
/** A download heartbeats at most this often: each heartbeat is encrypted and handed to the SDK. */
const DOWNLOAD_HEARTBEAT_MS = 1_000;

export const SPOOL_DIR = path.join(os.tmpdir(), 'ale-oig');
/** Spool files older than this belong to a worker that died (the activity times out long before). */
const STALE_SPOOL_MS = 6 * 60 * 60 * 1000;
/** Big reads for the archive upload: fewer, larger parts for the SDK to send. */
const ARCHIVE_READ_BYTES = 1024 * 1024;
/** The spool file's write buffer: big enough that writing it never holds the download back. */
export const SPOOL_WRITE_BYTES = 4 * 1024 * 1024;

export const OigFailureType = {
  /** Network error or timeout talking to the OIG site: retried, then the check fails. */
  unreachable: 'OigSiteUnreachable',
  /** The OIG site answered with an HTTP error status: retried, then the check fails. */
  httpError: 'OigSiteHttpError',
  ...LeieFailureType,
} as const;

/** A file that can never be imported: no retry helps. */
export function failureFrom(error: LeieFormatError): ApplicationFailure {
  return ApplicationFailure.nonRetryable(error.message, error.type);
}

async function fetchFromOig(url: string, headers: Record<string, string> = {}): Promise<Response> {
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

/** The OIG page's HTML, or null when it is too big to be the page. */
export async function fetchOigPage(url: string): Promise<string | null> {
  const response = await fetchFromOig(url);
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of Readable.fromWeb(response.body as never) as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    if (bytes > MAX_PAGE_BYTES) {
      await response.body?.cancel().catch(() => {});
      return null;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export const PAGE_TOO_LARGE = `the OIG page is larger than ${MAX_PAGE_BYTES / 1024 / 1024} MB; its date was not read`;

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

/** Removes spool files a killed worker left behind. */
export async function sweepSpool() {
  await fs.promises.mkdir(SPOOL_DIR, { recursive: true });
  for (const name of await fs.promises.readdir(SPOOL_DIR)) {
    const file = path.join(SPOOL_DIR, name);
    const stat = await fs.promises.stat(file).catch(() => null);
    if (stat && Date.now() - stat.mtimeMs > STALE_SPOOL_MS) await fs.promises.rm(file, { force: true });
  }
}

/** Uploads the spooled file to the archive under `key`. */
export async function archiveSpool(
  { s3, config }: { s3: S3Client; config: Config },
  file: { spool: string; key: string; bytes: number; sha256: string; etag: string | null },
): Promise<void> {
  await s3.send(
    new PutObjectCommand({
      Bucket: config.AWS_S3_BUCKET_NAME,
      Key: file.key,
      Body: fs.createReadStream(file.spool, { highWaterMark: ARCHIVE_READ_BYTES }),
      ContentLength: file.bytes,
      ContentType: 'text/csv',
      // The hash we already have: S3 verifies it, and the SDK need not checksum the file again.
      ChecksumSHA256: Buffer.from(file.sha256, 'hex').toString('base64'),
      Metadata: { sha256: file.sha256, ...(file.etag ? { etag: file.etag } : {}) },
    }),
  );
}
