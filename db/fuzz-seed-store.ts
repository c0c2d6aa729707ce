import { type Db, queryOne } from './sql';

/**
 * Rows the API fuzz run (scripts/fuzz-api.ts) needs and no API creates directly: one LEIE row,
 * which the real screening SQL then matches to a seeded employee. Never used by the product.
 */
export async function insertSampleExclusion(
  db: Db,
  row: { key: string; firstName: string; lastName: string; dateOfBirth: string },
): Promise<void> {
  await queryOne(
    db,
    `INSERT INTO oig_employees_exclusion
       (exclusion_key, lastname, firstname, dob, npi, general, excltype, excldate, state,
        last_name_norm, first_name_norm, full_name_norm)
     VALUES ($key, $lastName::text, $firstName::text, $dateOfBirth::date, '0000000000', 'NURSE/NURSES AIDE',
       '1128b4', '2019-04-18', 'TX', ale_normalize_name($lastName::text), ale_normalize_name($firstName::text),
       ale_normalize_name(concat_ws(' ', $firstName::text, $lastName::text)))
     ON CONFLICT DO NOTHING`,
    row,
  );
}
