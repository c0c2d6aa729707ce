import pg from 'pg';
import { describeCopyFormatError, LEIE_COLUMNS, LeieFailureType, LeieFormatError } from '../domain/leie';
import { RECORD_HASH_BYTES } from '../domain/leie-record-hashes';

/**
 * The OIG list as a difference: the import's SQL texts (run by ./exclusion-list-store.ts, nowhere
 * else) and the decoding of what they send back. The worker streams the file,
 * hashes every record and sends COPY only the records the list does not hold yet (`fresh`); the
 * rest is known by hash. Everything below touches only the affected identity groups, so the typing,
 * normalization and index work follow the size of the change, not of the list, while the resulting
 * list, keys and added/removed sets are exactly those of a full reload:
 *
 * - an identity group (rows sharing the exclusion key without its `#n` suffix) is affected when a
 *   fresh record falls in it, one of its rows' records is gone from the file, it holds duplicates
 *   (`#n` keys: their numbering follows file order), or one of its rows has no known hash;
 * - every other row's record is in the file once, alone in its group: its key and content stay,
 *   and it is not touched (not even `updated_at`).
 */

export const RECORD_COLUMNS = LEIE_COLUMNS.map((column) => column.toLowerCase());
const DATE_COLUMNS = new Set(['dob', 'excldate', 'reindate', 'waiverdate']);

/** Session-local tables: a crashed worker's connection takes them along. */
const STAGING_RAW = 'oig_staging_raw';

/** The LEIE row rules of migration 0400 over raw text columns, plus the row's unreadable dates. */
function typedRecordSql(raw: string): string {
  const typed = RECORD_COLUMNS.map((column) =>
    DATE_COLUMNS.has(column)
      ? `ale_leie_date(${column}) AS ${column}, ${column} AS raw_${column}`
      : column === 'npi'
        ? 'ale_leie_npi(npi) AS npi'
        : `nullif(btrim(${column}), '') AS ${column}`,
  );
  // A date field is invalid when the file has a value other than empty/00000000 and it did not parse.
  const invalid = [...DATE_COLUMNS]
    .map((column) => `(${column} IS NULL AND raw_${column} !~ '^\\s*0*\\s*$')::int`)
    .join(' + ');
  return `SELECT ale_leie_exclusion_key(lastname, firstname, midname, busname, dob, npi, upin, excltype, excldate)
                   AS base_key, line_no, row_hash, ${RECORD_COLUMNS.join(', ')}, ${invalid} AS invalid_fields
            FROM (SELECT line_no, row_hash, ${typed.join(', ')} FROM ${raw}) r`;
}

export const CREATE_STAGING_RAW = `CREATE TEMP TABLE ${STAGING_RAW} (line_no integer, row_hash bytea,
  ${RECORD_COLUMNS.map((column) => `${column} text`).join(', ')})`;

export const COPY_STAGING_RAW = `COPY ${STAGING_RAW} (line_no, row_hash, ${RECORD_COLUMNS.join(', ')})
  FROM STDIN WITH (FORMAT csv)`;

/**
 * Every row's record hash (NULL when unknown) and unreadable dates, as binary COPY (bytea and smallint
 * as they are stored: no hex to encode or decode). Read in the same snapshot as `oig_list_version`.
 */
export const LIST_HASHES = `COPY (SELECT row_hash, invalid_fields FROM oig_employees_exclusion) TO STDOUT (FORMAT binary)`;

/**
 * Typed fresh records, the affected groups, and their current rows. $gone: hex hashes of the records
 * gone from the file (one per row to remove). Returns the current rows' hashes (hex, distinct), for
 * which the worker then names the lines of the file that hold them.
 */
export const STAGE_AFFECTED = [
  `CREATE TEMP TABLE oig_staging_typed ON COMMIT DROP AS ${typedRecordSql(STAGING_RAW)}`,
  // Arrays and = ANY, not IN (subquery): the planner then looks the few keys up in the row_hash and
  // base-key indexes instead of hashing every row of the list (and computing split_part for each).
  `CREATE TEMP TABLE oig_staging_groups ON COMMIT DROP AS
     SELECT base_key FROM oig_staging_typed
     UNION SELECT split_part(exclusion_key, '#', 1) FROM oig_employees_exclusion
            WHERE row_hash = ANY ((SELECT array_agg(decode(h, 'hex')) FROM unnest($gone::text[]) h)::bytea[])
     UNION SELECT split_part(exclusion_key, '#', 1) FROM oig_employees_exclusion WHERE row_hash IS NULL
     UNION SELECT split_part(exclusion_key, '#', 1) FROM oig_employees_exclusion
            WHERE strpos(exclusion_key, '#') > 0`,
  `CREATE TEMP TABLE oig_staging_old ON COMMIT DROP AS
     SELECT o.id, o.exclusion_key, o.row_hash, o.invalid_fields FROM oig_employees_exclusion o
      WHERE split_part(o.exclusion_key, '#', 1) = ANY ((SELECT array_agg(base_key) FROM oig_staging_groups)::text[])`,
] as const;

export const AFFECTED_HASHES = `SELECT DISTINCT encode(row_hash, 'hex') AS h FROM oig_staging_old WHERE row_hash IS NOT NULL`;

const contentColumns = [...RECORD_COLUMNS, 'invalid_fields'];

/**
 * The affected groups as the file has them: fresh records (typed) and kept ones (their content
 * copied from the row that holds the same record; $lines line numbers, $hashes hex hashes), numbered `#n`
 * within their group in file order, as a full load would.
 */
export const STAGE_NEXT = `CREATE TEMP TABLE oig_staging_next ON COMMIT DROP AS
  WITH kept AS (
    SELECT k.line_no, decode(k.h, 'hex') AS row_hash FROM unnest($lines::int[], $hashes::text[]) AS k(line_no, h)
  ), lines AS (
    SELECT t.line_no, t.row_hash, t.base_key, ${contentColumns.map((c) => `t.${c}`).join(', ')},
           NULL::text AS last_name_norm, NULL::text AS first_name_norm, NULL::text AS full_name_norm,
           false AS normalized
      FROM oig_staging_typed t
    UNION ALL
    SELECT k.line_no, k.row_hash, split_part(o.exclusion_key, '#', 1), ${contentColumns.map((c) => `o.${c}`).join(', ')},
           o.last_name_norm, o.first_name_norm, o.full_name_norm, true
      FROM kept k
      CROSS JOIN LATERAL (SELECT * FROM oig_employees_exclusion x WHERE x.row_hash = k.row_hash LIMIT 1) o
  )
  SELECT CASE WHEN n > 1 THEN base_key || '#' || n ELSE base_key END AS exclusion_key, *
    FROM (SELECT *, row_number() OVER (PARTITION BY base_key ORDER BY line_no) AS n FROM lines) r`;

/** Rows of the affected groups whose key the file no longer has. */
export const DELETE_REMOVED = `WITH gone AS (
    DELETE FROM oig_employees_exclusion o USING oig_staging_old s
     WHERE o.id = s.id AND NOT EXISTS (SELECT 1 FROM oig_staging_next n WHERE n.exclusion_key = s.exclusion_key)
     RETURNING o.exclusion_key),
  logged AS (
    INSERT INTO oig_exclusion_changes (check_id, exclusion_key, change)
    SELECT $checkId, exclusion_key, 'removed' FROM gone RETURNING 1)
  SELECT count(*)::int AS n FROM logged`;

const namesSame = `(o.lastname, o.firstname, o.busname) IS NOT DISTINCT FROM (s.lastname, s.firstname, s.busname)`;

/**
 * Keys both lists have whose record changed (a profile correction, or a row without a known hash):
 * updated in place. Names are normalized again only when they changed; `updated_at` moves only when
 * the typed content did.
 */
export const UPDATE_CHANGED = `WITH changed AS (
    UPDATE oig_employees_exclusion o
       SET ${contentColumns.map((c) => `${c} = s.${c}`).join(', ')}, row_hash = s.row_hash,
           last_name_norm = CASE WHEN s.normalized THEN s.last_name_norm WHEN ${namesSame} THEN o.last_name_norm
                                 ELSE ale_normalize_name(s.lastname) END,
           first_name_norm = CASE WHEN s.normalized THEN s.first_name_norm WHEN ${namesSame} THEN o.first_name_norm
                                  ELSE ale_normalize_name(s.firstname) END,
           full_name_norm = CASE WHEN s.normalized THEN s.full_name_norm WHEN ${namesSame} THEN o.full_name_norm
                                 WHEN s.lastname IS NULL AND s.firstname IS NULL THEN ale_normalize_name(s.busname)
                                 ELSE ale_normalize_name(coalesce(s.firstname, '') || ' ' || coalesce(s.lastname, '')) END,
           updated_at = CASE WHEN (${RECORD_COLUMNS.map((c) => `o.${c}`).join(', ')})
                                  IS DISTINCT FROM (${RECORD_COLUMNS.map((c) => `s.${c}`).join(', ')})
                             THEN now() ELSE o.updated_at END
      FROM oig_staging_next s
     WHERE o.exclusion_key = s.exclusion_key AND o.row_hash IS DISTINCT FROM s.row_hash
     RETURNING 1)
  SELECT count(*)::int AS n FROM changed`;

/** Keys the list does not have yet, in file order, names normalized. */
export const INSERT_ADDED = `WITH fresh AS (
    INSERT INTO oig_employees_exclusion
      (exclusion_key, row_hash, ${contentColumns.join(', ')}, last_name_norm, first_name_norm, full_name_norm)
    SELECT s.exclusion_key, s.row_hash, ${contentColumns.map((c) => `s.${c}`).join(', ')},
           CASE WHEN s.normalized THEN s.last_name_norm ELSE ale_normalize_name(s.lastname) END,
           CASE WHEN s.normalized THEN s.first_name_norm ELSE ale_normalize_name(s.firstname) END,
           CASE WHEN s.normalized THEN s.full_name_norm
                WHEN s.lastname IS NULL AND s.firstname IS NULL THEN ale_normalize_name(s.busname)
                ELSE ale_normalize_name(coalesce(s.firstname, '') || ' ' || coalesce(s.lastname, '')) END
      FROM oig_staging_next s
     WHERE NOT EXISTS (SELECT 1 FROM oig_employees_exclusion o WHERE o.exclusion_key = s.exclusion_key)
     ORDER BY s.line_no
    RETURNING exclusion_key),
  logged AS (
    INSERT INTO oig_exclusion_changes (check_id, exclusion_key, change)
    SELECT $checkId, exclusion_key, 'added' FROM fresh RETURNING 1)
  SELECT count(*)::int AS n FROM logged`;

/**
 * The list's unreadable dates once the difference is applied: only the affected groups changed, and
 * they now hold exactly oig_staging_next. $listInvalidFields: the total read with the list's hashes.
 */
export const INVALID_FIELDS_TOTAL = `SELECT ($listInvalidFields::int - coalesce((SELECT sum(invalid_fields) FROM oig_staging_old), 0)
                 + coalesce((SELECT sum(invalid_fields) FROM oig_staging_next), 0))::int AS n`;

const BINARY_COPY_SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

/** Binary COPY rows of (row_hash bytea, invalid_fields smallint): the known hashes concatenated. */
export function parseListCopy(data: Buffer): { total: number; invalidFields: number; hashes: Buffer } {
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

/** Whether `error` is Postgres refusing a statement (not the network or the download). */
export const isDatabaseError = (error: unknown): boolean => error instanceof pg.DatabaseError;

/**
 * A COPY error as the file's problem, or null when it is not one. `fileLine` maps COPY's line number
 * to the file's.
 */
export function copyFileProblem(
  error: unknown,
  fileLine: (copyLine: number) => number | undefined,
): LeieFormatError | null {
  const pgError = error as { code?: string; message?: string; where?: string };
  const copyLine = Number(/line (\d+)/.exec(pgError.where ?? '')?.[1] ?? Number.NaN);
  const line = Number.isNaN(copyLine) ? undefined : fileLine(copyLine);
  if (pgError.code === '22P04') {
    return new LeieFormatError(
      LeieFailureType.malformedRow,
      describeCopyFormatError(pgError.message ?? '', line === undefined ? undefined : `line ${line - 1}`),
    );
  }
  if (pgError.code === '22021') {
    return new LeieFormatError(
      LeieFailureType.malformedRow,
      `the LEIE file is not valid UTF-8 (${line === undefined ? (pgError.where ?? pgError.message) : `line ${line}: ${pgError.message}`})`,
    );
  }
  return null;
}
