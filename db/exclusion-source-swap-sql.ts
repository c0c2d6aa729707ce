/**
 * The SQL of a non-LEIE list's swap (db/exclusion-source-import.ts `swapSourceList`), over the
 * session's temporary tables: `exclusion_source_staging` (the file's records the list does not hold as
 * they are), `exclusion_source_gone` (the hashes of the list's records the file no longer holds),
 * `exclusion_source_norms` and `exclusion_source_next` (built here). `$source` is the list's id.
 */

/**
 * The normalized name columns of a record from the staged row `n`, joined from the session's
 * `exclusion_source_norms` (each distinct name normalized once by ale_normalize_name, the one
 * normalization of names everywhere): lists repeat names a lot, and the function is the costly part
 * of a first import. The full name (sort, search) joins the normalized first and last names.
 */
const NORM_JOINS = `
  LEFT JOIN exclusion_source_norms nf ON nf.name = n.first_name
  LEFT JOIN exclusion_source_norms nm ON nm.name = n.middle_name
  LEFT JOIN exclusion_source_norms nl ON nl.name = n.last_name
  LEFT JOIN exclusion_source_norms nb ON nb.name = n.business_name`;
const NORMALIZED = {
  last: 'nl.norm',
  first: 'nf.norm',
  full: `CASE WHEN n.last_name IS NULL AND n.first_name IS NULL THEN nb.norm
           ELSE nullif(concat_ws(' ', nf.norm, nl.norm), '') END`,
  search: `nullif(concat_ws(' ', nf.norm, nm.norm, nl.norm, nb.norm,
           CASE WHEN cardinality(n.aliases) > 0 THEN
             (SELECT string_agg(m.norm, ' ') FROM unnest(n.aliases) a(name)
                JOIN exclusion_source_norms m ON m.name = a.name) END), '')`,
};

/** The names a swap writes (the staged records are all new or changed), each normalized once. */
export const NORMALIZE_NAMES = `
CREATE TEMP TABLE exclusion_source_norms ON COMMIT DROP AS
SELECT d.name, ale_normalize_name(d.name) AS norm
FROM (
  SELECT DISTINCT unnest(ARRAY[s.first_name, s.middle_name, s.last_name, s.business_name] || s.aliases) AS name
  FROM exclusion_source_staging s
) d
WHERE d.name IS NOT NULL`;

/**
 * The records the swap writes: the staged ones, a key staged twice once (its first record), each
 * with its normalized names.
 */
export const NEXT_RECORDS = `
CREATE TEMP TABLE exclusion_source_next ON COMMIT DROP AS
SELECT DISTINCT ON (n.exclusion_key) n.*,
  ${NORMALIZED.last} AS last_name_norm, ${NORMALIZED.first} AS first_name_norm,
  ${NORMALIZED.full} AS full_name_norm, ${NORMALIZED.search} AS search_norm
FROM exclusion_source_staging n ${NORM_JOINS}
ORDER BY n.exclusion_key, n.line`;

/**
 * Staged records whose key a kept record holds: the file repeats the identity of a record the list
 * keeps (the reader numbers repeated keys among the records it parses, and the kept ones were not
 * parsed).
 */
export const STAGED_KEY_CLASHES = `
  SELECT n.exclusion_key, split_part(n.exclusion_key, '#', 1) AS base, n.line
  FROM exclusion_source_next n
  JOIN exclusion_source_records r ON r.source = $source AND r.exclusion_key = n.exclusion_key
  WHERE r.record_hash IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM exclusion_source_gone g WHERE g.record_hash = r.record_hash)`;

/**
 * Such records are numbered on past every key of their identity the kept and staged records hold, in
 * file order (`#n`, as the reader numbers): a kept record keeps its key, and the decisions on it; the
 * renumbered one keeps its hash, so next time it is kept under its new key.
 */
export const RENUMBER_CLASHES = `
  WITH clash AS (${STAGED_KEY_CLASHES}),
  taken AS (
    SELECT split_part(k.key, '#', 1) AS base,
           max(coalesce(substring(k.key FROM '#([0-9]+)$')::int, 1)) AS top
    FROM (SELECT r.exclusion_key AS key FROM exclusion_source_records r
          WHERE r.source = $source AND r.record_hash IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM exclusion_source_gone g WHERE g.record_hash = r.record_hash)
          UNION ALL
          SELECT exclusion_key FROM exclusion_source_next) k
    WHERE split_part(k.key, '#', 1) IN (SELECT base FROM clash)
    GROUP BY 1),
  renumbered AS (
    SELECT c.exclusion_key,
           c.base || '#' || (t.top + row_number() OVER (PARTITION BY c.base ORDER BY c.line)) AS key
    FROM clash c JOIN taken t USING (base))
  UPDATE exclusion_source_next n SET exclusion_key = r.key
  FROM renumbered r WHERE n.exclusion_key = r.exclusion_key`;
