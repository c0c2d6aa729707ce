import type { Migration } from '../migrator';

/**
 * `ale_name_search_patterns` (migration 0850) picks its second and third pieces more carefully. Each
 * candidate row the trigram index returns costs a heap visit and a recheck (one rare piece alone can
 * return thousands of candidates that two rare pieces cut to a handful), so a search should hand the
 * index more than one piece whenever the others are not common. On repeated ANALYZE samples of the
 * search benchmark's names, the old rule failed two ways:
 *
 * - "Seen at most twice" is a count, not a share: of ~100 sampled names a piece in 1 in 100 rows
 *   is sometimes seen more than twice, and with a larger statistics target almost always;
 *   the search then fell back to one piece. A further piece is now taken if it is in at most 1 in 20
 *   of the sampled names (at least 2): common pieces (SMI, PAT: in a large share of names) cost
 *   decoding for nothing, a rare piece is what makes the candidates few.
 * - Pieces seen equally often (most often: none of the rare ones is in the sample) were taken in term
 *   order, so overlapping neighbours such as EL1 and L10 of PATEL1008 were picked together; they
 *   share two letters and filter little more than one of them. On a tie a piece that does not
 *   overlap those already picked now goes first.
 */
export const up: Migration = async ({ context: sql }) => {
  await sql.query(`
CREATE OR REPLACE FUNCTION ale_name_search_patterns(term text, sample text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $fn$
DECLARE
  gram text;
  grams text[] := '{}';
  starts int[] := '{}';
  seen int[] := '{}';
  picked text[] := '{}';
  picked_starts int[] := '{}';
  most_seen int;
  best int;
  overlapping boolean;
  best_overlapping boolean;
BEGIN
  IF term IS NULL THEN
    RETURN NULL;
  END IF;
  IF sample IS NOT NULL THEN
    -- The sample is array text, '{A,"B C"}{…}', of names that never hold a comma or a brace: one name
    -- per comma or opening brace.
    most_seen := greatest(2, (octet_length(sample) - octet_length(replace(replace(sample, ',', ''), '{', ''))) / 20);
    FOR i IN 1..length(term) - 2 LOOP
      gram := substr(term, i, 3);
      CONTINUE WHEN gram !~ '^[A-Z0-9]{3}$' OR gram = ANY (grams);
      grams := grams || gram;
      starts := starts || i;
      seen := seen || (octet_length(sample) - octet_length(replace(sample, gram, ''))) / 3;
    END LOOP;
  END IF;
  IF cardinality(grams) = 0 THEN
    RETURN array_fill('%' || term || '%', ARRAY[3]);
  END IF;
  FOR k IN 1..3 LOOP
    best := NULL;
    FOR i IN 1..cardinality(grams) LOOP
      CONTINUE WHEN grams[i] IS NULL OR (k > 1 AND seen[i] > most_seen);
      overlapping := coalesce(abs(starts[i] - picked_starts[1]) < 3, false)
        OR coalesce(abs(starts[i] - picked_starts[2]) < 3, false);
      IF best IS NULL OR (overlapping, seen[i]) < (best_overlapping, seen[best]) THEN
        best := i;
        best_overlapping := overlapping;
      END IF;
    END LOOP;
    IF best IS NULL THEN
      picked := picked || picked[1];
    ELSE
      picked := picked || ('%' || grams[best] || '%');
      picked_starts := picked_starts || starts[best];
      grams[best] := NULL;
    END IF;
  END LOOP;
  RETURN picked;
END
$fn$;
`);
};

export { up as down } from './0850-name-search-trigrams';
