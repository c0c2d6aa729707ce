import { createHash, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { ApplicationFailure, Context } from '@temporalio/activity';
import {
  closeSourceImportSession,
  openSourceImportSession,
  readSourceHashes,
  ShortListError,
  SourceStagingCopy,
  type StagedList,
  swapSourceList,
} from '../db/exclusion-source-import';
import { findSourceBaselineSha256, findSourceCheck, insertSourceCheck } from '../db/exclusion-source-store';
import { exclusionSourceAdapter } from '../domain/exclusion-sources';
import {
  ExclusionSourceFailureType,
  ExclusionSourceFormatError,
  looksLikeMarkup,
} from '../domain/exclusion-sources/failures';
import { ExclusionListReader } from '../domain/exclusion-sources/read-list';
import {
  dateOfHttpDate,
  extractDateOfName,
  sourceDisplayUrl,
  sourceDownloadUrl,
} from '../domain/exclusion-sources/settings';
import type { ExclusionSourceId } from '../domain/exclusion-sources/source';
import { openZippedCsv } from '../domain/exclusion-sources/zipped-csv';
import type {
  SourceCheckRecord,
  SourceFileFacts,
  SourceImport,
  SourceImportInput,
} from '../lib/exclusion-source-contract';
import type { ActivityDeps } from './deps';
import { withFacts } from './failure-facts';
import { SPOOL_DIR, sweepSpool } from './oig-download';
import { createLeieListStore } from './oig-import';

/**
 * The sync of every exclusion list (docs/spec.md §8), one activity per attempt: download → parse
 * with the source's adapter and COPY into staging while the file is archived → swap. Pure parsing
 * lives in domain/exclusion-sources; every statement in db/exclusion-source-store.ts and
 * db/exclusion-source-import.ts. The LEIE's rows keep their own store (activities/oig-import.ts):
 * both steps hand its import and its check rows to it.
 */

export const ExclusionSourceSyncFailureType = {
  /** Network error, timeout or stall talking to the list's site: retried, then the check fails. */
  unreachable: 'ExclusionSourceUnreachable',
  /** The site answered with an HTTP error status: retried, then the check fails. */
  httpError: 'ExclusionSourceHttpError',
  /** The source's URL (or SAM's key) is not set: nothing to retry. */
  notConfigured: 'ExclusionSourceNotConfigured',
} as const;

/** The real files are ≈ 10–60 MB; anything this big is not the list. */
export const MAX_DOWNLOAD_BYTES = 512 * 1024 * 1024;
const CONNECT_TIMEOUT_MS = 30_000;
const HEARTBEAT_MS = 1_000;
const ZIP_MAGIC = 0x04034b50;

/** What the attempt heartbeats: once `archiveKey` is set, a retry reads the archive instead of downloading again. */
interface SyncProgress {
  phase: 'download' | 'load' | 'swap';
  sha256?: string;
  archiveKey?: string;
  bytes?: number;
  records?: number;
  etag?: string | null;
  lastModified?: string | null;
}

export function createExclusionSourceSyncActivities(deps: ActivityDeps) {
  const { config, sequelize, s3, logger } = deps;
  const log = logger.child({ component: 'exclusion-source-sync' });
  const leie = createLeieListStore(deps);

  /** Downloads the list into `spool`, hashing and bounding it; a stall of the body is a retryable failure. */
  async function download(id: ExclusionSourceId, spool: string, progress: SyncProgress) {
    const url = sourceDownloadUrl(config, id);
    const shown = sourceDisplayUrl(config, id);
    if (!url) {
      throw ApplicationFailure.nonRetryable(
        `${id} is not configured`,
        ExclusionSourceSyncFailureType.notConfigured,
      );
    }
    const context = Context.current();
    const stallMs = config.EXCLUSION_SOURCE_DOWNLOAD_STALL_TIMEOUT * 1000;
    const stalled = new AbortController();
    const signal = AbortSignal.any([context.cancellationSignal, stalled.signal]);
    const connect = setTimeout(() => stalled.abort(), CONNECT_TIMEOUT_MS);
    let response: Response;
    try {
      response = await fetch(url, { signal, redirect: 'follow' });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const reason = stalled.signal.aborted
        ? `no answer within ${CONNECT_TIMEOUT_MS / 1000} s`
        : (cause?.code ?? cause?.message ?? (error as Error).message);
      throw ApplicationFailure.retryable(
        `${shown} is unreachable (${reason})`,
        ExclusionSourceSyncFailureType.unreachable,
      );
    } finally {
      clearTimeout(connect);
    }
    if (response.status >= 400 || !response.body) {
      await response.body?.cancel().catch(() => {});
      throw ApplicationFailure.retryable(
        `${shown} answered HTTP ${response.status} ${response.statusText}`.trim(),
        ExclusionSourceSyncFailureType.httpError,
      );
    }
    const hash = createHash('sha256');
    const file = fs.createWriteStream(spool);
    file.on('error', () => {});
    let bytes = 0;
    let idle: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(idle);
      idle = setTimeout(() => stalled.abort(), stallMs);
    };
    try {
      arm();
      for await (const chunk of Readable.fromWeb(response.body as never, {
        signal,
      }) as AsyncIterable<Buffer>) {
        arm();
        bytes += chunk.length;
        if (bytes > MAX_DOWNLOAD_BYTES) {
          throw new ExclusionSourceFormatError(
            ExclusionSourceFailureType.tooLarge,
            `the download exceeds ${MAX_DOWNLOAD_BYTES / 1024 / 1024} MB; the real list is far smaller`,
          );
        }
        hash.update(chunk);
        progress.bytes = bytes;
        if (!file.write(chunk)) await once(file, 'drain');
      }
      file.end();
      await finished(file);
    } catch (error) {
      if (error instanceof ExclusionSourceFormatError) throw error;
      if (context.cancellationSignal.aborted) throw error;
      const reason = stalled.signal.aborted
        ? `stalled: no data for ${stallMs / 1000} s`
        : ((error as Error).message ?? String(error));
      throw ApplicationFailure.retryable(
        `the download from ${shown} broke off after ${bytes} bytes (${reason})`,
        ExclusionSourceSyncFailureType.unreachable,
      );
    } finally {
      clearTimeout(idle);
      if (!file.closed) file.destroy();
    }
    return {
      sha256: hash.digest('hex'),
      bytes,
      etag: response.headers.get('etag'),
      lastModified: response.headers.get('last-modified'),
    };
  }

  /** A retry after the archive: the file is read back from S3 (the same bytes, checked by hash). */
  async function fetchArchive(key: string, spool: string, sha256: string): Promise<boolean> {
    try {
      const object = await s3.send(new GetObjectCommand({ Bucket: config.AWS_S3_BUCKET_NAME, Key: key }));
      const hash = createHash('sha256');
      const file = fs.createWriteStream(spool);
      for await (const chunk of object.Body as AsyncIterable<Buffer>) {
        hash.update(chunk);
        if (!file.write(chunk)) await once(file, 'drain');
      }
      file.end();
      await finished(file);
      return hash.digest('hex') === sha256;
    } catch (error) {
      log.warn({ err: error, key }, 'archived list not readable; downloading again');
      return false;
    }
  }

  /** The first bytes decide: a ZIP is expected and this is an HTML page or something else. */
  async function refuseNonZip(spool: string) {
    const handle = await fs.promises.open(spool, 'r');
    try {
      const head = Buffer.alloc(1024);
      const { bytesRead } = await handle.read(head, 0, head.length, 0);
      const first = head.subarray(0, bytesRead);
      if (bytesRead >= 4 && first.readUInt32LE(0) === ZIP_MAGIC) return;
      if (bytesRead === 0) {
        throw new ExclusionSourceFormatError(ExclusionSourceFailureType.empty, 'the download is empty');
      }
      const markup = looksLikeMarkup(first.toString('latin1'));
      throw new ExclusionSourceFormatError(
        ExclusionSourceFailureType.notZip,
        markup
          ? 'the download is an HTML/XML page, not the ZIP (an error or login page served with status 200?)'
          : 'the download is not a ZIP archive',
      );
    } finally {
      await handle.close();
    }
  }

  async function archive(id: ExclusionSourceId, spool: string, sha256: string, bytes: number, zip: boolean) {
    const date = new Date().toISOString().slice(0, 10);
    const key = `${config.AWS_S3_KEY_PREFIX}exclusion-sources/${id}/${date}-${sha256}.${zip ? 'zip' : 'csv'}`;
    await s3.send(
      new PutObjectCommand({
        Bucket: config.AWS_S3_BUCKET_NAME,
        Key: key,
        Body: fs.createReadStream(spool),
        ContentLength: bytes,
        ContentType: zip ? 'application/zip' : 'text/csv',
        ChecksumSHA256: Buffer.from(sha256, 'hex').toString('base64'),
        Metadata: { sha256, source: id },
      }),
    );
    return key;
  }

  /** The import's own session, and the list in force read on it if the source's lock was free. */
  async function openListSession(id: ExclusionSourceId) {
    const session = await openSourceImportSession(config.DATABASE_URL);
    try {
      return { session, list: await readSourceHashes(session, id, { wait: false }) };
    } catch (error) {
      await closeSourceImportSession(session);
      throw error;
    }
  }

  return {
    /**
     * One attempt of a source's import. A retry after a lost completion finds the check committed;
     * a retry after the archive reads the archived file instead of downloading again; a killed
     * attempt leaves nothing (its staging table dies with its session, nothing is committed before
     * the swap's one transaction).
     */
    async importExclusionSource(input: SourceImportInput): Promise<SourceImport> {
      const { check, force } = input;
      const id = check.sourceId as ExclusionSourceId;
      if (id === 'leie') return leie.importList(input);
      const done = await findSourceCheck(sequelize, check.checkId);
      if (done?.status === 'imported') {
        return {
          outcome: 'imported',
          sha256: done.sha256,
          archiveKey: done.archive_key,
          etag: done.etag,
          lastModified: done.last_modified,
          sourceUpdatedOn: done.source_updated_on,
          rowCount: done.row_count ?? 0,
          added: done.added ?? 0,
          removed: done.removed ?? 0,
          rejectedRows: done.rejected_rows ?? 0,
        };
      }
      const adapter = exclusionSourceAdapter(id);
      const zip = adapter.container === 'zip';
      const context = Context.current();
      const resumed = context.info.heartbeatDetails as SyncProgress | undefined;
      const progress: SyncProgress = { phase: 'download' };
      const beat = setInterval(() => context.heartbeat(progress), HEARTBEAT_MS);
      const facts: SourceFileFacts = {
        sha256: null,
        archiveKey: null,
        rejectedRows: null,
        etag: resumed?.etag ?? null,
        lastModified: resumed?.lastModified ?? null,
        sourceUpdatedOn: dateOfHttpDate(resumed?.lastModified ?? null),
      };
      await sweepSpool();
      const spool = path.join(SPOOL_DIR, `${id}-${randomUUID()}`);
      // The list in force is read while the file downloads, unless another sync of the source holds
      // its lock (then after the download, waiting for it, as the swap must).
      const early = openListSession(id);
      early.catch(() => {});
      let archived: Promise<void> = Promise.resolve();
      try {
        let file: { sha256: string; bytes: number; etag?: string | null; lastModified?: string | null };
        if (
          resumed?.archiveKey &&
          resumed.sha256 &&
          (await fetchArchive(resumed.archiveKey, spool, resumed.sha256))
        ) {
          const bytes = (await fs.promises.stat(spool)).size;
          file = { sha256: resumed.sha256, bytes };
          facts.archiveKey = resumed.archiveKey;
          log.info({ source: id, archiveKey: resumed.archiveKey }, 'resumed from the archived file');
        } else {
          file = await download(id, spool, progress);
          Object.assign(facts, {
            etag: file.etag,
            lastModified: file.lastModified,
            sourceUpdatedOn: dateOfHttpDate(file.lastModified ?? null),
          });
          Object.assign(progress, { etag: file.etag, lastModified: file.lastModified });
        }
        facts.sha256 = file.sha256;
        Object.assign(progress, { phase: 'load', sha256: file.sha256 });
        // Archived whatever the file turns out to be, refused files too: what the site served is kept
        // for whoever looks into it. The file is read meanwhile; nothing is swapped in, and no failure
        // is reported, before the archive is stored.
        archived = facts.archiveKey
          ? Promise.resolve()
          : archive(id, spool, file.sha256, file.bytes, zip).then((key) => {
              facts.archiveKey = key;
              Object.assign(progress, { archiveKey: key });
              context.heartbeat(progress);
            });
        archived.catch(() => {});
        const baseline = await findSourceBaselineSha256(sequelize, id);
        if (zip) await refuseNonZip(spool);
        if (!force && baseline === file.sha256) {
          await archived;
          return { outcome: 'same-file', ...facts };
        }

        const { session, list } = await early;
        const copy = await SourceStagingCopy.begin(session, list ?? (await readSourceHashes(session, id)));
        const reader = new ExclusionListReader(adapter);
        // The ZIP reader takes the archive in memory (a list's ZIP is a few MB); its CSV streams.
        let csv: Readable = fs.createReadStream(spool);
        if (zip) {
          const inner = await openZippedCsv(await fs.promises.readFile(spool), {
            label: adapter.name,
            maxUncompressedBytes: config.EXCLUSION_SOURCE_MAX_CSV_BYTES,
          });
          csv = inner.stream;
          facts.sourceUpdatedOn = extractDateOfName(inner.name) ?? facts.sourceUpdatedOn;
        }
        let staged: StagedList;
        try {
          for await (const batch of reader.read(csv, { keep: (hash) => copy.keep(hash) })) {
            for (const { record, hash } of batch) await copy.add(record, hash);
            progress.records = reader.records;
          }
          staged = await copy.end();
        } catch (error) {
          copy.abort();
          throw error;
        } finally {
          facts.rejectedRows = reader.rejectedCount;
        }
        await archived;
        progress.phase = 'swap';
        const record: SourceCheckRecord = { ...check, ...facts };
        const swapped = await swapSourceList(session, { record, force, staged });
        log.info(
          { source: id, checkId: check.checkId, ...swapped, rejectedRows: reader.rejectedCount },
          'list swapped in',
        );
        return { outcome: 'imported', ...facts, ...swapped };
      } catch (error) {
        await archived.catch(() => {});
        throw withFacts(classify(error), facts);
      } finally {
        await early.then(
          ({ session }) => closeSourceImportSession(session),
          () => {},
        );
        clearInterval(beat);
        await fs.promises.rm(spool, { force: true });
      }
    },

    /** An `unchanged` or `failed` check (idempotent: the check id is the workflow's). */
    async recordExclusionSourceCheck(record: SourceCheckRecord & { status: 'unchanged' | 'failed' }) {
      if (record.sourceId === 'leie') return leie.recordCheck(record);
      await insertSourceCheck(sequelize, { ...record, rowCount: null });
    },
  };
}

/** Refusals of the file are final; everything else keeps its own retry behaviour. */
function classify(error: unknown): unknown {
  if (error instanceof ExclusionSourceFormatError)
    return ApplicationFailure.nonRetryable(error.message, error.type);
  if (error instanceof ShortListError) {
    return ApplicationFailure.nonRetryable(error.message, ExclusionSourceFailureType.tooFewRows);
  }
  return error;
}
