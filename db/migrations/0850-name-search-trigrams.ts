import type { Migration } from '../migrator';

/**
 * `ale_name_search_patterns(term, sample)`: which trigrams of a normalized search term the name
 * search hands to the trigram index (docs/spec.md §5 `?q=`; db/people-store.ts).
 *
 * `full_name_norm LIKE '%SMITH123%'` makes the GIN index intersect the posting lists of all six
 * trigrams, and it decodes every list it touches: SMI, MIT and ITH are in a fifth of a 1M-row roster,
 * so the scan costs the same CPU however few rows match. Any 3-character piece of the
 * term is also a necessary condition, so the search asks the index only for the rarest pieces and
 * checks the whole term with `strpos` on those candidates — the same rows, without the common lists.
 *
 * Rarity is counted in `sample`: the statistics ANALYZE (autovacuum) keeps for the column — its most
 * common values and histogram bounds as text, ~100 names — which the API reads from `pg_stats` and
 * caches (reading them here would cost every search a `pg_stats` read). Picked: the rarest piece, plus up to two
 * more seen at most twice in the sample (a piece seen more often would cost more to decode than it
 * saves in candidates). Exactly three LIKE patterns are returned (the first repeated when fewer
 * qualify) so the query has a fixed shape. Without a sample (no statistics yet) or without a
 * 3-character piece of letters/digits, all three patterns are the whole term: the plain
 * `LIKE '%term%'`. NULL term → NULL (no name match).
 */
export const up: Migration = async ({ context: sql }) => {
  await sql.query(`
CREATE OR REPLACE FUNCTION ale_name_search_patterns(term text, sample text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $fn$
DECLARE
  gram text;
  grams text[] := '{}';
  seen int[] := '{}';
  picked text[] := '{}';
  best int;
BEGIN
  IF term IS NULL THEN
    RETURN NULL;
  END IF;
  IF sample IS NOT NULL THEN
    FOR i IN 1..length(term) - 2 LOOP
      gram := substr(term, i, 3);
      CONTINUE WHEN gram !~ '^[A-Z0-9]{3}$' OR gram = ANY (grams);
      grams := grams || gram;
      seen := seen || (octet_length(sample) - octet_length(replace(sample, gram, ''))) / 3;
    END LOOP;
  END IF;
  IF cardinality(grams) = 0 THEN
    RETURN array_fill('%' || term || '%', ARRAY[3]);
  END IF;
  FOR k IN 1..3 LOOP
    best := NULL;
    FOR i IN 1..cardinality(grams) LOOP
      IF grams[i] IS NOT NULL AND (best IS NULL OR seen[i] < seen[best]) THEN
        best := i;
      END IF;
    END LOOP;
    IF best IS NULL OR (k > 1 AND seen[best] > 2) THEN
      picked := picked || picked[1];
    ELSE
      picked := picked || ('%' || grams[best] || '%');
      grams[best] := NULL;
    END IF;
  END LOOP;
  RETURN picked;
END
$fn$;
`);
};

export const down: Migration = async ({ context: sql }) => {
  await sql.query('DROP FUNCTION IF EXISTS ale_name_search_patterns(text, text);');
};
