/**
 * `npm run dev`: the whole system on embedded defaults — Temporal dev server (Web UI, SQLite under
 * .data/), embedded Postgres (.data/postgres) unless DATABASE_URL is set, moto for S3 + Route 53,
 * migrations, one worker and the API. Ctrl-C stops everything; a second run reuses the data.
 *
 * `npm run dev -- --sample-data`: the same stack on its own data (.data/sample/), with the OIG URLs
 * pointed at a local site serving a generated sample LEIE, which is synced, and a demo organization
 * whose roster holds true matches, near misses and bad rows (scripts/stack/sample-data.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { migrateUp } from '../db/migrator';
import { createSequelize } from '../db/sequelize';
import { DEV_SECRETS, loadConfigOrExit } from '../lib/config';
import { createTemporalClient } from '../lib/temporal';
import { selfCheckWorkflowId } from '../lib/workflow-contracts';
import { WORKER_ENV, WORKER_NODE_FLAGS } from '../workers/process-options';
import { ensureAwsResources } from './stack/aws-resources';
import { startMoto } from './stack/moto';
import { isPortOpen, type ManagedProcess, startProcess, waitFor } from './stack/processes';
import { type SampleSeed, sampleBannerLines, seedSampleData, startSampleOigSite } from './stack/sample-data';
import { resolveTemporalCli } from './stack/temporal-cli';
import { startTemporalDevServer } from './stack/temporal-server';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sampleMode = process.argv.includes('--sample-data');
// Sample data never mixes with real data: its own Postgres and Temporal files.
const dataDir = path.join(root, '.data', ...(sampleMode ? ['sample'] : []));
const logDir = path.join(dataDir, 'logs');
const log = (line: string) => console.log(`[dev] ${line}`);
const started = Date.now();

const env: NodeJS.ProcessEnv = { ...process.env };
env.AWS_ENDPOINT_URL ??= 'http://127.0.0.1:4566';
const sampleSite = sampleMode ? await startSampleOigSite() : null;
if (sampleSite) {
  env.OIG_WEBPAGE_URL = sampleSite.pageUrl;
  env.OIG_CSV_DOWNLOAD_URL = sampleSite.csvUrl;
  env.SAMPLE_DATA = 'true';
  // Every list of docs/spec.md §8 from the same local site (generated, each with a roster person).
  env.EXCLUSION_SOURCES = 'leie,sam,pa_medicheck,ca_medi_cal';
  env.SAM_EXTRACT_URL = sampleSite.listUrls.sam;
  env.SAM_API_KEY = 'sample-data';
  env.PA_MEDICHECK_URL = sampleSite.listUrls.pa_medicheck;
  env.CA_MEDI_CAL_URL = sampleSite.listUrls.ca_medi_cal;
  log(`SAMPLE DATA: the OIG URLs point at a generated sample LEIE on ${new URL(sampleSite.pageUrl).origin}`);
}
// The Web UI is reachable under both names; both may call the codec endpoint.
env.CORS_ORIGINS ??= 'http://localhost:8233,http://127.0.0.1:8233';
const config = loadConfigOrExit(env);
fs.mkdirSync(logDir, { recursive: true });
// As root, embedded Postgres runs as a 'postgres' user that must be able to enter .data/.
fs.chmodSync(path.join(root, '.data'), 0o755);
fs.chmodSync(dataDir, 0o755);

const stops: { name: string; stop: () => Promise<unknown> }[] = [];
let shuttingDown = false;
if (sampleSite) stops.push({ name: 'sample OIG site', stop: () => sampleSite.stop() });

async function shutdown(code: number) {
  if (shuttingDown) return;
  shuttingDown = true;
  log('stopping…');
  for (const { name, stop } of stops.reverse()) {
    await stop().catch((error) => log(`${name} did not stop cleanly: ${(error as Error).message}`));
  }
  log('stopped');
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

function hostPort(address: string): [string, number] {
  const url = new URL(address.includes('://') ? address : `tcp://${address}`);
  return [url.hostname, Number(url.port)];
}

async function startPostgres() {
  if (await isPortOpen(config.POSTGRES_PORT)) {
    throw new Error(
      `Port ${config.POSTGRES_PORT} is already in use; stop what holds it, set POSTGRES_PORT, or set DATABASE_URL.`,
    );
  }
  const { POSTGRES_PORT, POSTGRES_DB, POSTGRES_USER, POSTGRES_PASSWORD } = config;
  const args = [
    path.join(dataDir, 'postgres'),
    String(POSTGRES_PORT),
    POSTGRES_DB,
    POSTGRES_USER,
    POSTGRES_PASSWORD,
  ];
  const server = startProcess(
    'postgres',
    process.execPath,
    ['--import', 'tsx', path.join(root, 'scripts/stack/postgres-server.ts'), ...args],
    { cwd: root, logFile: path.join(logDir, 'postgres.log'), detached: true },
  );
  stops.push({ name: 'postgres', stop: () => server.stop(30_000) });
  await waitFor(
    'Postgres',
    async () => {
      const client = new pg.Client({ connectionString: config.DATABASE_URL });
      await client.connect();
      await client.end();
      return true;
    },
    { process: server, timeoutMs: 60_000, intervalMs: 300 },
  );
}

function superviseChild(proc: ManagedProcess) {
  stops.push({ name: proc.name, stop: () => proc.stop(config.WORKER_SHUTDOWN_GRACE_TIME * 1000 + 5000) });
  proc.child.once('exit', (code, signal) => {
    if (shuttingDown) return;
    log(`${proc.name} exited unexpectedly (${code ?? signal}); stopping the stack`);
    void shutdown(1);
  });
}

try {
  const cli = resolveTemporalCli(log);
  log(`Temporal CLI: ${cli.path ?? 'SDK download'} (${cli.source})`);
  const [temporalHost, temporalPort] = hostPort(config.TEMPORAL_ADDRESS);
  const uiPort = Number(new URL(config.TEMPORAL_UI_URL).port || 8233);
  const temporalLocal = ['127.0.0.1', 'localhost'].includes(temporalHost);
  const databaseIsEmbedded = !process.env.DATABASE_URL;
  const [motoHost, motoPortText] = hostPort(config.AWS_ENDPOINT_URL ?? '');
  const motoPort = motoPortText || 4566;
  const motoLocal = ['127.0.0.1', 'localhost'].includes(motoHost) && !(await isPortOpen(motoPort));

  await Promise.all([
    temporalLocal &&
      startTemporalDevServer({
        cli,
        port: temporalPort,
        uiPort,
        namespace: config.TEMPORAL_NAMESPACE,
        dbFile: path.join(dataDir, 'temporal.sqlite'),
        logFile: path.join(logDir, 'temporal.log'),
        codecEndpoint: `http://127.0.0.1:${config.PORT}/codec`,
        detached: true,
      }).then((server) => stops.push({ name: 'temporal', stop: () => server.stop() })),
    databaseIsEmbedded && startPostgres(),
    motoLocal &&
      startMoto({ port: motoPort, logFile: path.join(logDir, 'moto.log'), detached: true }).then((moto) =>
        stops.push({ name: 'moto', stop: () => moto.stop() }),
      ),
  ]);
  log(
    `started ${[temporalLocal && 'Temporal', databaseIsEmbedded && 'Postgres', motoLocal && 'moto'].filter(Boolean).join(', ') || 'nothing (all external)'}`,
  );

  const { hostedZoneId, s3EventsQueueUrl } = await ensureAwsResources(config);
  env.ROUTE53_HOSTED_ZONE_ID ??= hostedZoneId;
  // The uploads bucket notifies this queue; the API long-polls it, so a dropped file needs no webhook.
  env.S3_EVENTS_QUEUE_URL ??= s3EventsQueueUrl;
  env.DATABASE_URL = config.DATABASE_URL;

  const sequelize = createSequelize(config.DATABASE_URL, { poolMax: 1 });
  const applied = await migrateUp(sequelize);
  await sequelize.close();
  log(applied.length ? `migrations applied: ${applied.join(', ')}` : 'schema up to date');

  // The tracing preload does nothing unless OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set (lib/tracing.ts).
  const tsx = ['--import', 'tsx', '--import', path.join(root, 'lib/tracing-preload.ts')];
  const node = (
    name: string,
    script: string,
    options: { flags?: readonly string[]; env?: Readonly<Record<string, string>> } = {},
  ) =>
    startProcess(name, process.execPath, [...(options.flags ?? []), ...tsx, path.join(root, script)], {
      env: { ...env, ...options.env },
      cwd: root,
      detached: true,
    });
  const worker = node('worker', 'workers/main.ts', { flags: WORKER_NODE_FLAGS, env: WORKER_ENV });
  superviseChild(worker);
  // The worker's metrics already hold 9464 on this machine.
  const api = node('api', 'api/server.ts', { env: { METRICS_PORT: env.METRICS_PORT ?? '9465' } });
  superviseChild(api);

  const apiUrl = `http://127.0.0.1:${config.PORT}`;
  await waitFor('API /ready', async () => (await fetch(`${apiUrl}/ready`)).ok, {
    process: api,
    timeoutMs: 120_000,
  });
  const client = createTemporalClient(config);
  await client.workflow.execute('workerSelfCheck', {
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    workflowId: selfCheckWorkflowId(`dev-${Date.now()}`),
    workflowExecutionTimeout: '2 minutes',
  });
  await client.connection.close();

  const seed: SampleSeed | null = sampleMode
    ? await seedSampleData({
        apiUrl,
        email: config.BOOTSTRAP_ADMIN_EMAIL,
        password: config.BOOTSTRAP_ADMIN_PASSWORD,
        log,
      })
    : null;
  const password =
    config.BOOTSTRAP_ADMIN_PASSWORD === DEV_SECRETS.BOOTSTRAP_ADMIN_PASSWORD
      ? config.BOOTSTRAP_ADMIN_PASSWORD
      : '(BOOTSTRAP_ADMIN_PASSWORD)';
  console.log(`
  ALE Backend is up in ${((Date.now() - started) / 1000).toFixed(1)} s — Ctrl-C stops everything.

    API          ${apiUrl}
    Swagger UI   ${apiUrl}/docs
    OpenAPI      ${apiUrl}/openapi.json
    Temporal UI  ${config.TEMPORAL_UI_URL}
    Admin login  ${config.BOOTSTRAP_ADMIN_EMAIL} / ${password}
    Your admin   npm run admin:create -- --email you@example.test --password '<12+ characters>'
    Logs         ${path.relative(root, logDir)}/ (Temporal, moto); API and worker log here
${sampleBannerLines(seed)}
`);
} catch (error) {
  console.error(`[dev] start failed: ${(error as Error).message}`);
  await shutdown(1);
}
