import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { queryOne } from '../../db/sql';
import { createMember, createOrganization } from '../support/fixtures';
import { call } from '../support/http';
import { stack } from '../support/stack';

/** `otherNames` on people (docs/spec.md §9): written, read, cleared, and bad names rejected naming the field. */
describe('employees API: otherNames (real app, Postgres, dev server)', () => {
  const app = () => stack().createApp({ TEMPORAL_TASK_QUEUE: `other-names-${randomUUID()}` });

  it('creates, reads, replaces and clears a person’s other names', async () => {
    const org = await createOrganization();
    const admin = await createMember(org.id, 'admin');
    const api = app();
    const base = `/v1/organizations/${org.id}/employees`;
    const created = await call(api, 'POST', base, {
      token: admin.token,
      json: {
        kind: 'employee',
        externalId: 'on-1',
        firstName: 'Jane',
        lastName: 'Okafor',
        otherNames: ['Jane Smith', ' Doe '],
      },
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    assert.deepEqual(created.body.otherNames, ['Jane Smith', 'Doe']);
    const read = await call(api, 'GET', `${base}/${created.body.id}`, { token: admin.token });
    assert.deepEqual(read.body.otherNames, ['Jane Smith', 'Doe']);
    const stored = await queryOne<{ other_names: string[]; match_names: string[] }>(
      stack().sequelize,
      'SELECT other_names, match_names FROM employees WHERE id = $id',
      { id: created.body.id },
    );
    assert.deepEqual(stored?.other_names, ['Jane Smith', 'Doe']);
    assert.deepEqual(stored?.match_names, ['OKAFOR|JANE||P', 'SMITH|JANE||A', 'DOE|JANE||A']);

    const kept = await call(api, 'PATCH', `${base}/${created.body.id}`, {
      token: admin.token,
      json: { title: 'RN' },
    });
    assert.deepEqual(kept.body.otherNames, ['Jane Smith', 'Doe']);
    const replaced = await call(api, 'PATCH', `${base}/${created.body.id}`, {
      token: admin.token,
      json: { otherNames: ['Smith, Jane Q | Jenny Okafor'] },
    });
    assert.equal(replaced.status, 202, JSON.stringify(replaced.body));
    assert.deepEqual(replaced.body.otherNames, ['Smith, Jane Q', 'Jenny Okafor']);
    const cleared = await call(api, 'PATCH', `${base}/${created.body.id}`, {
      token: admin.token,
      json: { otherNames: null },
    });
    assert.deepEqual(cleared.body.otherNames, []);
    const nonLatin = await call(api, 'POST', base, {
      token: admin.token,
      json: {
        kind: 'employee',
        externalId: 'on-2',
        firstName: 'Ivan',
        lastName: 'Petrov',
        otherNames: ['Иван Петров'],
      },
    });
    assert.equal(nonLatin.status, 202, 'non-Latin names are kept (they match nothing)');
  });

  it('rejects empty, letterless, too long or too many other names with 422 naming otherNames', async () => {
    const org = await createOrganization();
    const admin = await createMember(org.id, 'admin');
    const api = app();
    const base = `/v1/organizations/${org.id}/employees`;
    const bad: unknown[] = [
      [''],
      ['***'],
      ['Jr. | ...'],
      ['x'.repeat(500)],
      Array.from({ length: 21 }, (_, i) => `N${i}`),
      'Jane Doe',
    ];
    for (const [i, otherNames] of bad.entries()) {
      const response = await call(api, 'POST', base, {
        token: admin.token,
        json: { kind: 'employee', externalId: `bad-${i}`, firstName: 'Ann', lastName: 'Lee', otherNames },
      });
      assert.ok([400, 422].includes(response.status), `${JSON.stringify(otherNames)} → ${response.status}`);
      assert.ok(
        response.body.errors.some((e: { path: string }) => e.path.startsWith('otherNames')),
        JSON.stringify(response.body),
      );
    }
  });
});
