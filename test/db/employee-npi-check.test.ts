import assert from 'node:assert/strict';
import { createOrganization } from '../support/fixtures';
import { stack } from '../support/stack';

async function insertWithNpi(organizationId: string, externalId: string, npi: string | null) {
  await stack().sequelize.query(
    `INSERT INTO employees (organization_id, kind, external_id, first_name, last_name, first_name_norm,
       last_name_norm, npi) VALUES ($1, 'employee', $2, 'Ann', 'Lee', 'ANN', 'LEE', $3)`,
    { bind: [organizationId, externalId, npi] },
  );
}

/** Migration 0995: the same rule as the regex '^[0-9]{10}$' it replaced. */
describe('employees.npi is ten ASCII digits or nothing (migration 0995)', () => {
  it('takes ten digits, leading zeros included, and no NPI', async () => {
    const org = await createOrganization();
    await insertWithNpi(org.id, 'N1', '1234567893');
    await insertWithNpi(org.id, 'N2', '0000000000');
    await insertWithNpi(org.id, 'N3', null);
  });

  const refused: [string, string][] = [
    ['nine digits', '123456789'],
    ['eleven digits', '12345678931'],
    ['empty', ''],
    ['a letter', '123456789a'],
    ['a space', '12345 6789'],
    ['a trailing newline', '123456789\n'],
    ['full-width digits (ten characters, not ASCII)', '１２３４５６７８９３'],
    ['Arabic-Indic digits', '١٢٣٤٥٦٧٨٩٣'],
  ];
  for (const [name, npi] of refused) {
    it(`refuses ${name}`, async () => {
      const org = await createOrganization();
      await assert.rejects(
        insertWithNpi(org.id, 'N1', npi),
        (error: Error & { original?: { code?: string } }) => {
          assert.equal(error.original?.code, '23514');
          return true;
        },
      );
    });
  }
});
