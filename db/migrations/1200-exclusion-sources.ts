import type { Migration } from '../migrator';

/**
 * Exclusion sources beside the LEIE (docs/spec.md §8).
 * - `exclusion_source_records`: the records of every non-LEIE list as last imported, one shape for
 *   all (domain/exclusion-sources/source.ts), unique (source, exclusion_key). Normalized names are
 *   computed by Postgres when the sync writes a record (ale_normalize_name, as for the LEIE and the
 *   roster) so both sides of a match are normalized by one function; `search_norm` holds the primary name and every alias so
 *   `GET /v1/exclusions?q=` finds a record by an alias too. No trigram index on it: maintaining one
 *   made a first SAM import several times slower, and a search scans the ≈ 200k generic records in
 *   tens of milliseconds.
 * - `exclusion_source_checks`: one row per sync of a non-LEIE source: the `oig_exclusions_check`
 *   columns plus `source` and `rejected_rows` (rows the adapter could not read, counted, not fatal).
 *   The LEIE keeps `oig_exclusions_check`, so `/v1/oig/*` read what they always read.
 * - `exclusion_source_changes`: the keys a sync added or removed, read by the rescreen it starts
 *   (workflow inputs carry the check id only).
 * - `exclusion_matches.source` ('leie' for every existing match), unique (employee_id, source, key).
 * - `exclusion_records`: every list at once (the LEIE mapped to the generic shape, UNION ALL the
 *   generic table) for the list search; screening reads both tables directly (docs/architecture.md).
 */
export const up: Migration = async ({ context: sql }) => {
  await sql.query(`
CREATE TABLE exclusion_source_records (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  source text NOT NULL CHECK (source <> 'leie'),
  exclusion_key text NOT NULL,
  entity_kind text NOT NULL CHECK (entity_kind IN ('individual','business')),
  first_name text,
  middle_name text,
  last_name text,
  business_name text,
  aliases text[] NOT NULL DEFAULT '{}',
  npi text,
  dob date,
  state text,
  exclusion_type text,
  starts_on date,
  ends_on date,
  last_name_norm text,
  first_name_norm text,
  full_name_norm text,
  search_norm text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (source, exclusion_key)
);
CREATE INDEX exclusion_source_records_npi_idx ON exclusion_source_records (npi) WHERE npi IS NOT NULL;
CREATE INDEX exclusion_source_records_state_idx ON exclusion_source_records (state);

CREATE TABLE exclusion_source_checks (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  source text NOT NULL CHECK (source <> 'leie'),
  checked_at timestamptz NOT NULL DEFAULT now(),
  trigger text NOT NULL CHECK (trigger IN ('schedule','manual')),
  source_updated_on date,
  etag text,
  last_modified text,
  sha256 text,
  status text NOT NULL CHECK (status IN ('unchanged','imported','failed')),
  row_count integer,
  added integer,
  removed integer,
  rejected_rows integer,
  duration_ms integer,
  archive_key text,
  warning text,
  error text,
  workflow_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX exclusion_source_checks_source_idx ON exclusion_source_checks (source, checked_at DESC, id);

CREATE TABLE exclusion_source_changes (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  check_id uuid NOT NULL REFERENCES exclusion_source_checks(id) ON DELETE CASCADE,
  exclusion_key text NOT NULL,
  change text NOT NULL CHECK (change IN ('added','removed')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (check_id, exclusion_key)
);

ALTER TABLE exclusion_matches ADD COLUMN source text NOT NULL DEFAULT 'leie';
ALTER TABLE exclusion_matches DROP CONSTRAINT exclusion_matches_employee_id_exclusion_key_key;
ALTER TABLE exclusion_matches ADD CONSTRAINT exclusion_matches_employee_source_key
  UNIQUE (employee_id, source, exclusion_key);
CREATE INDEX exclusion_matches_source_key_idx ON exclusion_matches (source, exclusion_key);

CREATE VIEW exclusion_records AS
  SELECT 'leie'::text AS source, x.id, x.exclusion_key,
         CASE WHEN x.last_name_norm IS NULL THEN 'business' ELSE 'individual' END AS entity_kind,
         x.firstname AS first_name, x.midname AS middle_name, x.lastname AS last_name,
         x.busname AS business_name, '{}'::text[] AS aliases,
         CASE WHEN x.npi = '0000000000' THEN NULL ELSE x.npi END AS npi, x.dob, x.state,
         x.excltype AS exclusion_type, x.excldate AS starts_on, x.reindate AS ends_on,
         coalesce(x.full_name_norm, '') AS sort_name, x.full_name_norm AS search_norm
    FROM oig_employees_exclusion x
  UNION ALL
  SELECT r.source, r.id, r.exclusion_key, r.entity_kind, r.first_name, r.middle_name, r.last_name,
         r.business_name, r.aliases, r.npi, r.dob, r.state, r.exclusion_type, r.starts_on, r.ends_on,
         coalesce(r.full_name_norm, ''), r.search_norm
    FROM exclusion_source_records r;
`);
};

export const down: Migration = async ({ context: sql }) => {
  await sql.query(`
DROP VIEW IF EXISTS exclusion_records;
DROP INDEX IF EXISTS exclusion_matches_source_key_idx;
DELETE FROM exclusion_matches WHERE source <> 'leie';
ALTER TABLE exclusion_matches DROP CONSTRAINT IF EXISTS exclusion_matches_employee_source_key;
ALTER TABLE exclusion_matches ADD CONSTRAINT exclusion_matches_employee_id_exclusion_key_key
  UNIQUE (employee_id, exclusion_key);
ALTER TABLE exclusion_matches DROP COLUMN IF EXISTS source;
DROP TABLE IF EXISTS exclusion_source_changes;
DROP TABLE IF EXISTS exclusion_source_checks;
DROP TABLE IF EXISTS exclusion_source_records;
`);
};
