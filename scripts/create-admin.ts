import { parseArgs } from 'node:util';
import { z } from 'zod';
import { ensureBootstrapAdmin } from '../db/bootstrap-admin';
import { createSequelize } from '../db/sequelize';
import { loadConfigOrExit } from '../lib/config';

/**
 * Creates a platform admin: `npm run admin:create -- --email a@b.c --password '…'`.
 * Without --password it reads ALE_ADMIN_PASSWORD, so the password need not sit in shell history.
 * An existing account is never overwritten (exit code 0, "exists").
 */
const usage = 'usage: npm run admin:create -- --email <address> [--password <at least 12 characters>]';
const { values } = parseArgs({
  options: { email: { type: 'string' }, password: { type: 'string' } },
  strict: true,
});
const input = z
  .object({
    email: z.email().max(320),
    password: z.string().min(12, 'must be at least 12 characters').max(1024),
  })
  .safeParse({ email: values.email, password: values.password ?? process.env.ALE_ADMIN_PASSWORD });
if (!input.success) {
  for (const issue of input.error.issues) console.error(`${issue.path.join('.')}: ${issue.message}`);
  console.error(usage);
  process.exit(64);
}

const config = loadConfigOrExit();
const sequelize = createSequelize(config.DATABASE_URL, { poolMax: 1 });
try {
  const outcome = await ensureBootstrapAdmin(sequelize, input.data.email, input.data.password);
  console.log(
    outcome === 'created'
      ? `platform admin ${input.data.email.toLowerCase()} created`
      : `${input.data.email.toLowerCase()} already has an account; left unchanged`,
  );
} catch (error) {
  console.error(`admin:create failed: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  await sequelize.close();
}
