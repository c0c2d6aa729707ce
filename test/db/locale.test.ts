import assert from 'node:assert/strict';
import { QueryTypes } from 'sequelize';
import { stack } from '../support/stack';

const query = async <T extends object>(sql: string, bind: unknown[] = []) =>
  stack().sequelize.query<T>(sql, { bind, type: QueryTypes.SELECT });

/** scripts/stack/postgres.ts initialises the embedded cluster with Postgres 17's builtin C.UTF-8 locale. */
describe('the embedded database locale (builtin C.UTF-8)', () => {
  it('is the builtin provider', async () => {
    const [db] = await query<{ provider: string; locale: string }>(
      `SELECT datlocprovider AS provider, datlocale AS locale FROM pg_database WHERE datname = current_database()`,
    );
    assert.deepEqual(db, { provider: 'b', locale: 'C.UTF-8' });
  });

  it('orders text by code point and maps case across alphabets', async () => {
    const words = ['b', 'B', 'a', 'é', 'E', 'Ω', 'ж', 'Ж', '中', 'z', '0', ' '];
    const rows = await query<{ w: string }>('SELECT w FROM unnest($1::text[]) AS w ORDER BY w', [words]);
    const byCodePoint = [...words].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
    assert.deepEqual(
      rows.map((r) => r.w),
      byCodePoint,
    );
    const [cased] = await query<{ upper: string; lower: string }>(
      "SELECT upper('josé ωж straße') AS upper, lower('JOSÉ ΩЖ') AS lower",
    );
    assert.deepEqual(cased, { upper: 'JOSÉ ΩЖ STRAßE', lower: 'josé ωж' });
  });
});
