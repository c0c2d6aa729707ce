/**
 * Fetches the local stack's outside tools once (both are cached outside the repo):
 * the Temporal CLI (TEMPORAL_CLI_PATH, PATH, cache, or go install), the moto venv and the
 * schemathesis venv (the API fuzz run, scripts/fuzz-api.ts). `npm run dev`, `npm test` and the fuzz
 * run do the same on first use; CI runs this first to fail early. Chromium, which the Swagger UI
 * test renders /docs in, is installed from Debian's packages when this runs as root (CI), and
 * otherwise named with the command that installs it.
 */
import { ensureChromium } from './stack/chromium';
import { ensureMoto } from './stack/moto';
import { ensureSchemathesis } from './stack/schemathesis';
import { resolveTemporalCli, TEMPORAL_CLI_HELP, temporalCliVersion } from './stack/temporal-cli';

const cli = resolveTemporalCli();
if (!cli.path) {
  console.log(`${TEMPORAL_CLI_HELP}\n(continuing: the SDK will try its own download)`);
} else {
  console.log(`Temporal CLI (${cli.source}): ${cli.path} — ${temporalCliVersion(cli.path)}`);
}
console.log(`moto: ${ensureMoto()}`);
console.log(`Chromium: ${ensureChromium() ?? 'missing (see above)'}`);
console.log(`schemathesis: ${ensureSchemathesis()}`);
