import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { QueryTypes } from 'sequelize';
import { createOrganization } from '../support/fixtures';
import { stack } from '../support/stack';

/** One row of `table` in `organizationId`, inserted with the columns every row needs. */
async function insertRow(table: 'employees' | 'patients', organizationId: string, externalId = 'R1') {
  const sql =
    table === 'employees'
      ? `INSERT INTO employees (organization_id, kind, external_id, first_name, last_name, first_name_norm,
           last_name_norm) VALUES ($1, 'employee', $2, 'Ann', 'Lee', 'ANN', 'LEE')`
      : `INSERT INTO patients (organization_id, external_id, first_name, last_name, date_of_birth, full_name_norm)
         VALUES ($1, $2, 'Pat', 'Lee', '1950-01-01', 'PAT LEE')`;
  await stack().sequelize.query(sql, { bind: [organizationId, externalId] });
}

const countIn = async (table: 'employees' | 'patients', organizationId: string) => {
  const [row] = await stack().sequelize.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${table} WHERE organization_id = $1`,
    { bind: [organizationId], type: QueryTypes.SELECT },
  );
  return row?.n;
};

/** Migration 0980: the organization reference of roster rows, checked per statement instead of per row. */
describe('roster rows reference their organization (migration 0980)', () => {
  for (const table of ['employees', 'patients'] as const) {
    it(`refuses ${table} of an organization that does not exist, naming it`, async () => {
      const missing = randomUUID();
      await assert.rejects(insertRow(table, missing), (error: Error & { original?: { code?: string } }) => {
        assert.equal(error.original?.code, '23503');
        assert.match(String((error.original as { detail?: string }).detail), new RegExp(missing));
        return true;
      });
      assert.equal(await countIn(table, missing), 0);
    });

    it(`refuses to move ${table} to another organization; other updates pass`, async () => {
      const [from, to] = [await createOrganization(), await createOrganization()];
      await insertRow(table, from.id);
      await stack().sequelize.query(`UPDATE ${table} SET first_name = 'Anne' WHERE organization_id = $1`, {
        bind: [from.id],
      });
      await assert.rejects(
        stack().sequelize.query(`UPDATE ${table} SET organization_id = $2 WHERE organization_id = $1`, {
          bind: [from.id, to.id],
        }),
        /cannot move to another organization/,
      );
      assert.deepEqual([await countIn(table, from.id), await countIn(table, to.id)], [1, 0]);
    });
  }

  it('deleting an organization deletes its employees and patients, and no one else’s', async () => {
    const [gone, kept] = [await createOrganization(), await createOrganization()];
    for (const org of [gone, kept]) {
      await insertRow('employees', org.id, 'E1');
      await insertRow('employees', org.id, 'E2');
      await insertRow('patients', org.id);
    }
    await stack().sequelize.query('DELETE FROM organizations WHERE id = $1', { bind: [gone.id] });
    assert.deepEqual(
      [
        await countIn('employees', gone.id),
        await countIn('patients', gone.id),
        await countIn('employees', kept.id),
        await countIn('patients', kept.id),
      ],
      [0, 0, 2, 1],
    );
  });
});
