import type { Migration } from '../migrator';

/**
 * LEIE row rules in SQL, applied by the OIG sync to a file COPY has loaded as raw text (Postgres
 * parses the CSV ≈ 5× faster than csv-parse in the worker, and the rows never cross into Node):
 * - `ale_leie_date(text)`: `YYYYMMDD` → date; empty and `00000000` mean none (NULL); anything else
 *   (`20231345`, `2023-01-01`, `19990230`) is invalid → NULL, and `ale_leie_date_invalid` says so,
 *   so the sync can keep the row and count the field.
 * - `ale_leie_npi(text)`: the LEIE writes `0000000000` for "no NPI" → NULL.
 * - `ale_leie_exclusion_key(...)`: sha256 of the identifying columns (names, business name, DOB,
 *   NPI, UPIN, exclusion type and date), upper-cased, so the key survives reloads. Address,
 *   specialty, waiver and reinstatement fields are left out: a profile correction updates the row in
 *   place instead of looking like one exclusion removed and another added.
 */
export const up: Migration = async ({ context: sql }) => {
  await sql.query(`
CREATE OR REPLACE FUNCTION ale_leie_date(value text) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT CASE
    WHEN btrim(value) !~ '^[0-9]{8}$' OR btrim(value) = '00000000' THEN NULL
    WHEN substr(btrim(value), 1, 4)::int < 1800 OR substr(btrim(value), 5, 2)::int NOT BETWEEN 1 AND 12
      OR substr(btrim(value), 7, 2)::int < 1 THEN NULL
    WHEN substr(btrim(value), 7, 2)::int > extract(day FROM make_date(substr(btrim(value), 1, 4)::int,
      substr(btrim(value), 5, 2)::int, 1) + interval '1 month' - interval '1 day') THEN NULL
    ELSE make_date(substr(btrim(value), 1, 4)::int, substr(btrim(value), 5, 2)::int,
      substr(btrim(value), 7, 2)::int)
  END
$fn$;

CREATE OR REPLACE FUNCTION ale_leie_date_invalid(value text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT coalesce(btrim(value), '') NOT IN ('', '00000000') AND ale_leie_date(value) IS NULL
$fn$;

CREATE OR REPLACE FUNCTION ale_leie_npi(value text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT CASE WHEN btrim(value) ~ '^0*$' THEN NULL ELSE nullif(btrim(value), '') END
$fn$;

CREATE OR REPLACE FUNCTION ale_leie_exclusion_key(
  lastname text, firstname text, midname text, busname text, dob date, npi text, upin text,
  excltype text, excldate date
) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT encode(sha256(convert_to(concat_ws(E'\\x1f',
    upper(coalesce(btrim(lastname), '')), upper(coalesce(btrim(firstname), '')),
    upper(coalesce(btrim(midname), '')), upper(coalesce(btrim(busname), '')),
    coalesce(to_char(dob, 'YYYYMMDD'), ''), coalesce(ale_leie_npi(npi), ''),
    upper(coalesce(btrim(upin), '')), upper(coalesce(btrim(excltype), '')),
    coalesce(to_char(excldate, 'YYYYMMDD'), '')), 'UTF8')), 'hex')
$fn$;
`);
};

export const down: Migration = async ({ context: sql }) => {
  await sql.query(`
DROP FUNCTION IF EXISTS ale_leie_exclusion_key(text, text, text, text, date, text, text, text, date);
DROP FUNCTION IF EXISTS ale_leie_npi(text);
DROP FUNCTION IF EXISTS ale_leie_date_invalid(text);
DROP FUNCTION IF EXISTS ale_leie_date(text);
`);
};
