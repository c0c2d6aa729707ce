import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { ExclusionRecord } from '../domain/exclusion-sources/source';
import {
  type RecordHash,
  RecordHashCopies,
  RecordHashMultiset,
  recordHash,
  recordHashHex,
} from '../domain/leie-record-hashes';
import type { SourceCheckRecord } from '../lib/exclusion-source-contract';
import { insertSourceCheck } from './exclusion-source-store';
import {
  NEXT_RECORDS,
  NORMALIZE_NAMES,
  RENUMBER_CLASHES,
  STAGED_KEY_CLASHES,
} from './exclusion-source-swap-sql';
import { execute, queryOne } from './sql';

/**
 * How a non-LEIE list is loaded (docs/spec.md §8), for db/exclusion-source-store.ts's tables: a
 * session of its own that reads the list's record hashes, COPY of the adapter's records whose hash
 * the list does not hold into a session-local staging table, and ONE transaction that swaps them
 * into exclusion_source_records. A month's file differs from the list in force by a few percent, so
 * the unchanged records are neither staged nor rewritten (the LEIE's record-hash difference,
 * docs/architecture.md).
 */

/** The share of the current rows a new file must reach, unless forced (docs/spec.md §4.4, §8). */
export const MIN_ROW_RATIO = 0.9;

// ── The import: a session of its own, COPY into staging, one transaction to swap ────────────────

/** A connection of its own for one import attempt: its temporary staging table dies with it. */
export type SourceImportSession = pg.Client;

export async function openSourceImportSession(databaseUrl: string): Promise<SourceImportSession> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'exclusion-source-sync' });
  // A connection that drops while the session waits fails its next statement; unheard, pg's
  // 'error' event would end the worker process.
  client.on('error', () => {});
  try {
    await client.connect();
    await execute(client, `SET temp_buffers = '64MB'`);
    // The swap joins a few thousand staged records to the list by its keys, whose index pages are
    // in memory: at the default cost of a random page (4, a spinning disk's) the planner reads the
    // source's whole list in every statement instead.
    await execute(client, 'SET random_page_cost = 1.1');
    return client;
  } catch (error) {
    await client.end().catch(() => {});
    throw error;
  }
}

export async function closeSourceImportSession(session: SourceImportSession): Promise<void> {
  await session.end().catch(() => {});
}

/** The lock a source's swap holds; the import session holds it from reading the hashes on. */
const SOURCE_LOCK = `hashtext('exclusion_source_records:' || $source)`;

/** The list in force as a sync reads it: its size, and its records' hashes (rows without one are rewritten). */
export interface SourceList {
  records: number;
  hashes: RecordHashMultiset;
}

/**
 * The record hashes of the source's list, read under the source's advisory lock held for the rest of
 * the session (released when it closes, or dies with a killed worker): no other sync of the source
 * swaps in between, so the hashes still describe the list when this session swaps. A concurrent
 * sync of the same source waits here — or, with `wait: false`, gets null at once.
 */
export async function readSourceHashes(session: SourceImportSession, source: string): Promise<SourceList>;
export async function readSourceHashes(
  session: SourceImportSession,
  source: string,
  options: { wait: false },
): Promise<SourceList | null>;
export async function readSourceHashes(
  session: SourceImportSession,
  source: string,
  options: { wait: boolean } = { wait: true },
): Promise<SourceList | null> {
  if (options.wait) await execute(session, `SELECT pg_advisory_lock(${SOURCE_LOCK})`, { source });
  else {
    const locked = await queryOne<{ locked: boolean }>(
      session,
      `SELECT pg_try_advisory_lock(${SOURCE_LOCK}) AS locked`,
      { source },
    );
    if (!locked?.locked) return null;
  }
  const row = await queryOne<{ hashes: Buffer | null; records: number }>(
    session,
    `SELECT string_agg(record_hash, ''::bytea) AS hashes, count(*)::int AS records
     FROM exclusion_source_records WHERE source = $source`,
    { source },
  );
  return { records: row?.records ?? 0, hashes: new RecordHashMultiset(row?.hashes ?? Buffer.alloc(0)) };
}

const STAGING_COLUMNS = [
  'record_hash',
  'exclusion_key',
  'entity_kind',
  'first_name',
  'middle_name',
  'last_name',
  'business_name',
  'aliases',
  'npi',
  'dob',
  'state',
  'exclusion_type',
  'starts_on',
  'ends_on',
] as const;

/** COPY text format: backslash, tab, newline and carriage return escaped; null as \N. */
function copyField(value: string | null): string {
  if (value === null) return '\\N';
  return value.replace(/[\\\t\n\r]/g, (c) =>
    c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r',
  );
}

/** A text[] literal (`{"JOHN A DOE","JACK DOE"}`): every element quoted, `"` and `\` escaped. */
function arrayLiteral(values: readonly string[]): string {
  return `{${values.map((value) => `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(',')}}`;
}

/** A record's content as COPY fields (its hash is of these, so any change of content changes it). */
function copyFields(record: ExclusionRecord): string {
  const fields = [
    record.exclusionKey,
    record.entityKind,
    record.firstName,
    record.middleName,
    record.lastName,
    record.businessName,
    arrayLiteral(record.aliases ?? []),
    record.npi,
    record.dob,
    record.state,
    record.exclusionType,
    record.startsOn,
    record.endsOn,
  ];
  return fields.map(copyField).join('\t');
}

/** Batches of COPY lines: big writes, fewer round trips through the stream. */
const COPY_BATCH_BYTES = 256 * 1024;

/** What the staging left for the swap: the list's records the file holds unchanged, and the others. */
export interface StagedList {
  /** Records of the list in force (read with its hashes, under the source's lock). */
  previous: number;
  /** Records of the list the file holds as they are: not staged, not rewritten. */
  kept: number;
  /** Hashes (hex) of the list's records the file does not hold as they are: removed or changed. */
  gone: string[];
}

/**
 * The COPY of a file's records into the session's staging table. A record the list holds as it is
 * is counted as kept and goes no further: recognised by the hash of its bytes before it is parsed
 * (`keep`, from the reader), or by the hash of its content when it comes without one.
 */
export class SourceStagingCopy {
  private out: string[] = [];
  private outBytes = 0;
  readonly done: Promise<void>;
  kept = 0;
  staged = 0;
  private readonly copies = new RecordHashCopies();

  private constructor(
    private readonly stream: Writable,
    private readonly list: SourceList,
  ) {
    this.done = finished(stream);
    this.done.catch(() => {});
  }

  /** `list`: the list in force, from readSourceHashes on the same session. */
  static async begin(session: SourceImportSession, list: SourceList): Promise<SourceStagingCopy> {
    await execute(
      session,
      `CREATE TEMP TABLE IF NOT EXISTS exclusion_source_staging (
         line bigserial, record_hash bytea NOT NULL, exclusion_key text NOT NULL, entity_kind text NOT NULL,
         first_name text, middle_name text, last_name text, business_name text, aliases text[], npi text,
         dob date, state text, exclusion_type text, starts_on date, ends_on date)`,
    );
    await execute(session, 'TRUNCATE exclusion_source_staging');
    return new SourceStagingCopy(
      session.query(
        copyFrom(`COPY exclusion_source_staging (${STAGING_COLUMNS.join(', ')}) FROM STDIN`),
      ) as unknown as Writable,
      list,
    );
  }

  /** True (and counted as kept) when the list holds a record of this hash not taken yet. */
  keep(hash: RecordHash): boolean {
    if (this.list.hashes.take(hash) < 0) return false;
    this.kept += 1;
    return true;
  }

  /**
   * Queues one record; resolves once the stream can take more (backpressure). `hash`: the hash of
   * the record's bytes that `keep` already refused; without it, the hash of its content, and a
   * record the list holds is kept instead.
   */
  async add(record: ExclusionRecord, hash?: RecordHash): Promise<void> {
    const fields = copyFields(record);
    if (hash === undefined) {
      hash = this.contentHash(record);
      if (this.keep(hash)) return;
    }
    const line = `\\\\x${recordHashHex(hash)}\t${fields}\n`;
    this.out.push(line);
    this.outBytes += line.length;
    this.staged += 1;
    if (this.outBytes >= COPY_BATCH_BYTES) await this.flush();
  }

  /**
   * A record's hash when its bytes gave none: of its content under its identity's key, not the `#n`
   * the reader numbered it with (that number moves when a record before it is kept unparsed), each
   * copy of the same content its own, as for bytes.
   */
  private contentHash(record: ExclusionRecord): RecordHash {
    return this.copies.own(
      recordHash(copyFields({ ...record, exclusionKey: record.exclusionKey.replace(/#\d+$/, '') })),
    );
  }

  async flush(): Promise<void> {
    if (this.out.length === 0) return;
    const data = this.out.join('');
    this.out = [];
    this.outBytes = 0;
    if (!this.stream.write(data)) await once(this.stream, 'drain');
  }

  async end(): Promise<StagedList> {
    await this.flush();
    this.stream.end();
    await this.done;
    return { previous: this.list.records, kept: this.kept, gone: this.list.hashes.untaken() };
  }

  /** Stops the COPY (the file was refused): the session is closed right after. */
  abort(): void {
    this.stream.destroy();
  }
}

/** The share of the list a swap changes past which it refreshes the table's statistics (autovacuum's default). */
const ANALYZE_AFTER_CHANGED_SHARE = 0.1;

/** Raised inside the swap: the new file is shorter than MIN_ROW_RATIO of the list in force. */
export class ShortListError extends Error {
  constructor(
    readonly previous: number,
    readonly next: number,
  ) {
    super(
      next === 0
        ? 'the file has no readable records; the current list is kept'
        : `the file has ${next} records, fewer than ${MIN_ROW_RATIO * 100} % of the current ${previous}; the current list is kept (force to override)`,
    );
  }
}

export interface SourceSwap {
  rowCount: number;
  added: number;
  removed: number;
}

/**
 * The swap: one transaction under the source's advisory lock — refused when the file's records (kept
 * plus staged) are fewer than MIN_ROW_RATIO of the list in force (unless `force`) or none; otherwise
 * the records gone from the file deleted, the changed ones updated, the new ones inserted, the
 * added/removed keys logged and the `imported` check written. Readers see the old list until COMMIT.
 * A key staged twice counts once (its first record wins); a staged key a kept record holds is
 * numbered on (RENUMBER_CLASHES).
 */
export async function swapSourceList(
  session: SourceImportSession,
  input: { record: SourceCheckRecord; force: boolean; staged: StagedList },
): Promise<SourceSwap> {
  const { record, force, staged } = input;
  const source = record.sourceId;
  const count = async (sql: string, bind: Record<string, unknown> = {}) =>
    (await queryOne<{ n: number }>(session, sql, { source, ...bind }))?.n as number;
  await execute(session, 'BEGIN');
  try {
    await execute(session, `SELECT pg_advisory_xact_lock(${SOURCE_LOCK})`, { source });
    await execute(
      session,
      `CREATE TEMP TABLE exclusion_source_gone ON COMMIT DROP AS
         SELECT DISTINCT decode(h, 'hex') AS record_hash FROM unnest($gone::text[]) h`,
      { gone: staged.gone },
    );
    await execute(session, 'ANALYZE exclusion_source_gone');
    await execute(session, NORMALIZE_NAMES);
    await execute(session, 'CREATE UNIQUE INDEX ON exclusion_source_norms (name)');
    await execute(session, 'ANALYZE exclusion_source_norms');
    await execute(session, NEXT_RECORDS);
    await execute(session, 'CREATE UNIQUE INDEX ON exclusion_source_next (exclusion_key)');
    await execute(session, 'ANALYZE exclusion_source_next');
    if ((await count(`SELECT count(*)::int AS n FROM (${STAGED_KEY_CLASHES}) c`)) > 0) {
      await execute(session, RENUMBER_CLASHES, { source });
    }
    const next = staged.kept + (await count('SELECT count(*)::int AS n FROM exclusion_source_next'));
    const { previous } = staged;
    if (next === 0 || (!force && previous > 0 && next < previous * MIN_ROW_RATIO)) {
      throw new ShortListError(previous, next);
    }
    await insertSourceCheck(session, { ...record, status: 'imported', rowCount: next });
    const removed = await count(
      `WITH gone AS (
         DELETE FROM exclusion_source_records r
         WHERE r.id IN (
             SELECT o.id FROM exclusion_source_gone g
             JOIN exclusion_source_records o ON o.source = $source AND o.record_hash = g.record_hash
             UNION ALL
             SELECT o.id FROM exclusion_source_records o WHERE o.source = $source AND o.record_hash IS NULL)
           AND NOT EXISTS (SELECT 1 FROM exclusion_source_next n WHERE n.exclusion_key = r.exclusion_key)
         RETURNING r.exclusion_key),
       logged AS (
         INSERT INTO exclusion_source_changes (check_id, exclusion_key, change)
         SELECT $checkId, exclusion_key, 'removed' FROM gone RETURNING 1)
       SELECT count(*)::int AS n FROM logged`,
      { checkId: record.checkId },
    );
    await execute(
      session,
      `UPDATE exclusion_source_records r SET entity_kind = n.entity_kind, first_name = n.first_name,
         middle_name = n.middle_name, last_name = n.last_name, business_name = n.business_name,
         aliases = n.aliases, npi = n.npi, dob = n.dob,
         state = n.state, exclusion_type = n.exclusion_type, starts_on = n.starts_on, ends_on = n.ends_on,
         last_name_norm = n.last_name_norm, first_name_norm = n.first_name_norm,
         full_name_norm = n.full_name_norm, search_norm = n.search_norm,
         record_hash = n.record_hash, updated_at = now()
       FROM exclusion_source_next n
       WHERE r.source = $source AND r.exclusion_key = n.exclusion_key
         AND r.record_hash IS DISTINCT FROM n.record_hash`,
      { source },
    );
    const added = await count(
      `WITH fresh AS (
         INSERT INTO exclusion_source_records (source, exclusion_key, entity_kind, first_name, middle_name,
           last_name, business_name, aliases, npi, dob, state, exclusion_type, starts_on, ends_on,
           last_name_norm, first_name_norm, full_name_norm, search_norm, record_hash)
         SELECT $source, n.exclusion_key, n.entity_kind, n.first_name, n.middle_name, n.last_name,
           n.business_name, n.aliases, n.npi, n.dob, n.state,
           n.exclusion_type, n.starts_on, n.ends_on,
           n.last_name_norm, n.first_name_norm, n.full_name_norm, n.search_norm, n.record_hash
         FROM exclusion_source_next n
         WHERE NOT EXISTS (SELECT 1 FROM exclusion_source_records r
                           WHERE r.source = $source AND r.exclusion_key = n.exclusion_key)
         RETURNING exclusion_key),
       logged AS (
         INSERT INTO exclusion_source_changes (check_id, exclusion_key, change)
         SELECT $checkId, exclusion_key, 'added' FROM fresh RETURNING 1)
       SELECT count(*)::int AS n FROM logged`,
      { checkId: record.checkId },
    );
    await execute(
      session,
      `UPDATE exclusion_source_checks SET added = $added, removed = $removed,
         duration_ms = ((extract(epoch FROM clock_timestamp()) * 1000)::bigint - $startedAt)::int
       WHERE id = $id`,
      { id: record.checkId, added, removed, startedAt: record.startedAt },
    );
    await execute(session, 'COMMIT');
    // A big change (a first import) leaves the planner's statistics describing the old list until
    // autovacuum gets to it; the rescreen that follows and the next sync join against this list now.
    if (added + removed > previous * ANALYZE_AFTER_CHANGED_SHARE) {
      await execute(session, 'ANALYZE exclusion_source_records');
    }
    return { rowCount: next, added, removed };
  } catch (error) {
    await execute(session, 'ROLLBACK').catch(() => {});
    throw error;
  }
}
