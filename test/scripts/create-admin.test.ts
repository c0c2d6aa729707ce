import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { findUserByEmail } from '../../db/user-store';
import { verifyPassword } from '../../lib/passwords';
import { stack } from '../support/stack';

const run = promisify(execFile);

async function createAdmin(args: string[]) {
  return run(process.execPath, ['--import', 'tsx', 'scripts/create-admin.ts', ...args], {
    env: { ...process.env, DATABASE_URL: stack().config.DATABASE_URL, LOG_LEVEL: 'silent' },
  }).then(
    ({ stdout }) => ({ code: 0, stdout, stderr: '' }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
}

describe('npm run admin:create', function () {
  this.timeout(60_000);

  it('creates a platform admin once and never overwrites it', async () => {
    const email = `Admin-${randomUUID()}@Example.test`;
    const created = await createAdmin(['--email', email, '--password', 'first password 123']);
    assert.equal(created.code, 0, created.stderr);
    const user = await findUserByEmail(stack().sequelize, email.toLowerCase());
    assert.ok(user);
    assert.equal(user.platform_admin, true);
    const again = await createAdmin(['--email', email, '--password', 'second password 456']);
    assert.equal(again.code, 0);
    assert.match(again.stdout, /left unchanged/);
    const reread = await findUserByEmail(stack().sequelize, email.toLowerCase());
    assert.ok(await verifyPassword('first password 123', reread?.password_hash ?? ''));
  });

  it('refuses an invalid email or a short password with a usage line', async () => {
    const result = await createAdmin(['--email', 'nope', '--password', 'short']);
    assert.equal(result.code, 64);
    assert.match(result.stderr, /email/);
    assert.match(result.stderr, /password: must be at least 12 characters/);
  });
});
