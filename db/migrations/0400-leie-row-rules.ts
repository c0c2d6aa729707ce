import type { Migration } from '../migrator';

/**
 * LEIE row rules in SQL, applied by the OIG sync to a file COPY has loaded as raw text (Postgres
 * parses the CSV much faster than csv-parse in the worker, and the rows never cross into Node):
 * - `ale_leie_date(text)`: `YYYYMMDD` (years 1800–2999) → date; empty and `00000000` mean none;
 *   anything else (`20231345`, `2023-01-01`, `19990230`) is invalid → NULL too: the sync keeps the
 *   row and counts the field (raw value present, date NULL). Needs Postgres ≥ 16 (pg_input_is_valid).
 * - `ale_leie_npi(text)`: the LEIE writes `0000000000` for "no NPI" → NULL.
 * - `ale_leie_exclusion_key(...)`: sha256 of the identifying columns as stored (trimmed, NPI
 *   normalized): names, business name, DOB, NPI, UPIN, exclusion type and date, upper-cased, so the
 *   key survives reloads. Address, specialty, waiver and reinstatement fields are left out: a
 *   profile correction updates the row in place instead of looking like one exclusion removed and
 *   another added.
 */
export const up: Migration = async ({ context: sql }) => {
  // STABLE, not IMMUTABLE: the date input/output functions are stable, and a SQL function is only
  // inlined into the calling query (far cheaper per row) when it claims no more than its body.
  await sql.query(`
CREATE OR REPLACE FUNCTION ale_leie_date(value text) RETURNS date
LANGUAGE sql STABLE PARALLEL SAFE AS $fn$
  SELECT CASE WHEN value ~ '^\\s*(1[89]|2\\d)\\d{6}\\s*$' AND pg_input_is_valid(value, 'date')
    THEN value::date END
$fn$;

CREATE OR REPLACE FUNCTION ale_leie_npi(value text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $fn$
  SELECT CASE WHEN value ~ '^\\s*0*\\s*$' THEN NULL ELSE btrim(value) END
$fn$;

CREATE OR REPLACE FUNCTION ale_leie_exclusion_key(
  lastname text, firstname text, midname text, busname text, dob date, npi text, upin text,
  excltype text, excldate date
) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $fn$
  SELECT encode(sha256(convert_to(concat_ws(E'\\x1f',
    upper(coalesce(lastname, '')), upper(coalesce(firstname, '')), upper(coalesce(midname, '')),
    upper(coalesce(busname, '')), coalesce(to_char(dob, 'YYYYMMDD'), ''), coalesce(npi, ''),
    upper(coalesce(upin, '')), upper(coalesce(excltype, '')), coalesce(to_char(excldate, 'YYYYMMDD'), '')),
    'UTF8')), 'hex')
$fn$;
`);
};

export const down: Migration = async ({ context: sql }) => {
  await sql.query(`
DROP FUNCTION IF EXISTS ale_leie_exclusion_key(text, text, text, text, date, text, text, text, date);
DROP FUNCTION IF EXISTS ale_leie_npi(text);
DROP FUNCTION IF EXISTS ale_leie_date(text);
`);
};
