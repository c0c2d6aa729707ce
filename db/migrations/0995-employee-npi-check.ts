import type { Migration } from '../migrator';

/**
 * `employees.npi` is still exactly ten ASCII digits, now checked without a regular expression: the
 * regex ran for every roster row written, a visible part of a batch's Postgres work (callgrind,
 * bench/roster-instructions.ts); a length and a character-set trim do the same test in C loops.
 */
export const up: Migration = async ({ context: sql }) => {
  await sql.query(`
ALTER TABLE employees DROP CONSTRAINT employees_npi_check,
  ADD CONSTRAINT employees_npi_check CHECK (octet_length(npi) = 10 AND btrim(npi, '0123456789') = '');
`);
};

export const down: Migration = async ({ context: sql }) => {
  await sql.query(`
ALTER TABLE employees DROP CONSTRAINT employees_npi_check,
  ADD CONSTRAINT employees_npi_check CHECK (npi ~ '^[0-9]{10}$');
`);
};
