import assert from 'node:assert/strict';
import { COMMON_PASSWORDS } from '../../domain/common-passwords';
import { passwordProblem } from '../../domain/password-policy';
import { hashPassword, needsRehash, PASSWORD_PARAMS, verifyPassword } from '../../lib/passwords';

describe('password hashes (docs/spec.md §12)', function () {
  this.timeout(30_000);

  it('new hashes use scrypt N=2^17, r=8, p=1, stored beside the hash, and verify', async () => {
    const stored = await hashPassword('a long enough password');
    assert.match(stored, /^scrypt\$131072\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    assert.deepEqual(PASSWORD_PARAMS, { N: 131072, r: 8, p: 1 });
    assert.equal(await verifyPassword('a long enough password', stored), true);
    assert.equal(await verifyPassword('a long enough passwore', stored), false);
    assert.equal(needsRehash(stored), false);
  });

  it('an older, weaker hash verifies with its own stored parameters and asks to be upgraded', async () => {
    const old = await hashPassword('a long enough password', { N: 16384, r: 8, p: 1 });
    assert.equal(await verifyPassword('a long enough password', old), true);
    assert.equal(await verifyPassword('wrong password!!', old), false);
    assert.equal(needsRehash(old), true);
  });

  it('refuses malformed or absurd stored parameters instead of computing them', async () => {
    const good = await hashPassword('a long enough password', { N: 1024, r: 8, p: 1 });
    const [, , , , salt, hash] = good.split('$');
    for (const stored of [
      `scrypt$${2 ** 24}$8$1$${salt}$${hash}`,
      `scrypt$1000$8$1$${salt}$${hash}`,
      `scrypt$1024$999$1$${salt}$${hash}`,
      `scrypt$1024$8$1$${salt}$`,
      `bcrypt$1024$8$1$${salt}$${hash}`,
      'garbage',
    ]) {
      assert.equal(await verifyPassword('a long enough password', stored), false, stored);
      assert.equal(needsRehash(stored), false);
    }
  });
});

describe('password policy (docs/spec.md §11)', () => {
  it('wants at least 12 characters, counted as characters', () => {
    assert.match(passwordProblem('elevenchars', 'a@example.test') ?? '', /12/);
    assert.equal(passwordProblem('twelve chars', 'a@example.test'), undefined);
    assert.match(passwordProblem('ééééééééééé', 'a@example.test') ?? '', /12/);
  });

  it('refuses the email address (any case) and its local part', () => {
    assert.match(passwordProblem('Someone.Long@Example.test', 'someone.long@example.test') ?? '', /email/);
    assert.match(passwordProblem('someone.longname', 'someone.longname@example.test') ?? '', /email/);
  });

  it('refuses the shipped common passwords, whatever the case', () => {
    assert.ok(COMMON_PASSWORDS.size > 200);
    for (const password of ['qwerty123456', 'QWERTY123456', '1qaz2wsx3edc']) {
      assert.match(passwordProblem(password, 'a@example.test') ?? '', /common/);
    }
    for (const entry of COMMON_PASSWORDS) assert.ok([...entry].length >= 12, entry);
  });
});
