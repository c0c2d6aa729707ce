import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ExternalIdSet } from '../../domain/external-id-set';

describe('the external ids a roster file has had (ExternalIdSet)', () => {
  it('adds an id once, like a Set of strings, through growth past its first table', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: 'binary', maxLength: 12 }), { maxLength: 60 }),
        fc.array(fc.nat(), { maxLength: 3000 }),
        (ids, picks) => {
          const set = new ExternalIdSet();
          const model = new Set<string>();
          // Mostly fresh ids (so the table grows several times), some repeats of earlier ones.
          picks.forEach((pick, i) => {
            const id = pick % 4 === 0 && ids.length > 0 ? (ids[pick % ids.length] as string) : `id-${i}`;
            assert.equal(set.add(id), !model.has(id), `add(${JSON.stringify(id)})`);
            model.add(id);
            assert.equal(set.size, model.size);
          });
        },
      ),
      { numRuns: 60 },
    );
  });

  it('compares ids as Postgres does: byte for byte, case and spaces included', () => {
    const set = new ExternalIdSet();
    assert.equal(set.add('E001'), true);
    for (const other of ['e001', 'E01', 'E001 ', 'É001', 'E0O1']) assert.equal(set.add(other), true, other);
    assert.equal(set.add('E001'), false);
    assert.equal(set.add('É001'), false);
  });

  it('holds a million ids in about 24 MB of typed arrays', () => {
    const set = new ExternalIdSet();
    for (let i = 0; i < 1_000_000; i++) set.add(`E${i}`);
    assert.equal(set.size, 1_000_000);
    assert.equal(set.add('E999999'), false);
    assert.equal(set.add('E1000000'), true);
    assert.equal(set.bytes, 24 * 2 ** 20);
  });
});
