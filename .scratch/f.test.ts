import assert from 'node:assert';

describe('x', () => {
  it('a', () => assert.equal(1, 2));
  it.skip('b', () => {});
  it('c', () => {});
});
