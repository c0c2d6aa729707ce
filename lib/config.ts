import { z } from 'zod';

/** Development defaults that must never reach production (APP_ENV=prod refuses them). */
export const DEV_SECRETS = {
  AUTH_JWT_SECRET: 'dev-only-jwt-secret-0123456789abcdef',
  TEMPORAL_PAYLOAD_KEY: 'dev:ZGV2LW9ubHktcGF5bG9hZC1rZXktMzJieXRlcyEhISE=',
  WEBHOOK_SECRET: 'dev-only-webhook-secret',
  BOOTSTRAP_ADMIN_PASSWORD: 'ale-dev-admin-password',
} as const;

const seconds = z.coerce.number().int().positive();
const optionalString = z
  .string()
  .optional()
  .transform((value) => (value === '' ? undefined : value));
const url = z.url({ protocol: /^https?$/ });
/** The ids of domain/exclusion-sources/source.ts (lib imports nothing of the project; a unit test holds them equal). */
export const CONFIG_EXCLUSION_SOURCE_IDS = ['leie', 'sam', 'pa_medicheck', 'ca_medi_cal'] as const;
const cron = z.string().regex(/^\S+( \S+){4}$/, 'expected a 5-field cron expression');

export const configSchema = z.object({
  APP_ENV: z.enum(['local', 'dev', 'prod']).default('local'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: optionalString,
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
  METRICS_TOKEN: optionalString.pipe(z.string().min(16).optional()),

  DATABASE_URL: optionalString.pipe(z.url({ protocol: /^postgres(ql)?$/ }).optional()),
  POSTGRES_HOST: z.string().default('127.0.0.1'),
  POSTGRES_PORT: z.coerce.number().int().min(1).max(65535).default(5433),
  POSTGRES_USER: z.string().default('postgres'),
  POSTGRES_PASSWORD: z.string().default('postgres'),
  POSTGRES_DB: z.string().default('ale'),

  DB_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(5000),

  TEMPORAL_ADDRESS: z
    .string()
    .regex(/^[^:\s]+:\d{1,5}$/, 'expected host:port')
    .default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('ale'),
  TEMPORAL_UI_URL: url.default('http://127.0.0.1:8233'),
  TEMPORAL_TLS_CERT: optionalString,
  TEMPORAL_TLS_KEY: optionalString,
  TEMPORAL_API_KEY: optionalString,
  TEMPORAL_PAYLOAD_KEY: z
    .string()
    .regex(
      /^[\w-]+:[A-Za-z0-9+/]{43}=(,[\w-]+:[A-Za-z0-9+/]{43}=)*$/,
      'expected keyId:base64(32 bytes), newest first, comma-separated',
    )
    .default(DEV_SECRETS.TEMPORAL_PAYLOAD_KEY),
  OUTBOX_POLL_INTERVAL_MS: z.coerce.number().int().min(50).max(60_000).default(1000),
  OUTBOX_RETRY_MAX_DELAY_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  WORKER_SHUTDOWN_GRACE_TIME: seconds.default(30),
  WORKER_ENSURE_SCHEDULES: z.stringbool().default(true),
  WORKER_METRICS_ADDRESS: z
    .string()
    .regex(/^[^:\s]+:\d{1,5}$/, 'expected host:port')
    .default('127.0.0.1:9464'),

  AWS_REGION: z.string().min(1).default('us-east-1'),
  AWS_ENDPOINT_URL: optionalString.pipe(url.optional()),
  AWS_S3_BUCKET_NAME: z.string().min(3).default('ale-uploads'),
  AWS_S3_KEY_PREFIX: z.string().default(''),
  AWS_S3_LOGOS_BUCKET_NAME: z.string().min(3).default('ale-logos'),
  AWS_S3_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(5000),
  AWS_S3_SOCKET_TIMEOUT_MS: z.coerce.number().int().min(100).max(300_000).default(30_000),
  BASE_DOMAIN: z
    .string()
    .regex(/^([a-z0-9-]+\.)+[a-z]{2,}$/, 'expected a lower-case DNS domain')
    .default('ale.test'),
  ROUTE53_HOSTED_ZONE_ID: optionalString,
  CLOUDFRONT_DISTRIBUTION_DOMAIN: z
    .string()
    .regex(/^([a-z0-9-]+\.)+[a-z]{2,}$/, 'expected a lower-case DNS name')
    .default('cdn.ale.test'),

  AUTH_JWT_SECRET: z.string().min(16).default(DEV_SECRETS.AUTH_JWT_SECRET),
  ACCESS_TOKEN_EXPIRE: seconds.default(3600),
  INVITATION_TOKEN_EXPIRE: seconds.default(604800),
  INVITATION_REMINDER_AFTER: seconds.default(259200),
  REFRESH_TOKEN_EXPIRE: seconds.default(2592000),
  RESET_TOKEN_EXPIRE: seconds.default(3600),
  VUE_APP_URI: url.default('http://localhost:8080').transform((value) => value.replace(/\/+$/, '')),
  RATE_LIMIT_ANON_PER_MINUTE: seconds.default(120),
  RATE_LIMIT_USER_PER_MINUTE: seconds.default(600),
  RATE_LIMIT_LOGIN_FAILURES: seconds.default(5),
  TRUST_PROXY_HOPS: z.coerce.number().int().min(0).max(10).default(0),
  API_PUBLIC_URL: url.default('http://127.0.0.1:3000').transform((value) => value.replace(/\/+$/, '')),
  OAUTH_GOOGLE_CLIENT_ID: optionalString,
  OAUTH_GOOGLE_CLIENT_SECRET: optionalString,
  OAUTH_GOOGLE_ISSUER: url.default('https://accounts.google.com'),
  OAUTH_MICROSOFT_CLIENT_ID: optionalString,
  OAUTH_MICROSOFT_CLIENT_SECRET: optionalString,
  OAUTH_MICROSOFT_TENANT: optionalString,
  OAUTH_MICROSOFT_ISSUER: optionalString.pipe(url.optional()),

  EMAIL_PROVIDER: z.enum(['log', 'sendgrid']).default('log'),
  SENDGRID_API_KEY: optionalString,
  SENDGRID_API_BASE_URL: url.default('https://api.sendgrid.com'),
  EMAIL_FROM: z.email().default('no-reply@ale.test'),

  OIG_WEBPAGE_URL: url.default('https://oig.hhs.gov/exclusions/exclusions_list.asp'),
  OIG_CSV_DOWNLOAD_URL: url.default('https://oig.hhs.gov/exclusions/downloadables/UPDATED.csv'),
  OIG_SYNC_CRON: cron.default('0 6 * * *'),
  MONTHLY_SCREENING_CRON: cron.default('0 8 1 * *'),
  EXCLUSION_SOURCE_STALE_AFTER: seconds.default(172800),
  EXCLUSION_SOURCES: z
    .string()
    .default('leie,sam')
    .transform((value) => [
      ...new Set(
        value
          .split(',')
          .map((id) => id.trim())
          .filter(Boolean),
      ),
    ])
    .pipe(z.array(z.enum(CONFIG_EXCLUSION_SOURCE_IDS))),
  SAM_EXTRACT_URL: url.default('https://api.sam.gov/data-services/v1/extracts?fileType=EXCLUSION'),
  SAM_API_KEY: optionalString,
  PA_MEDICHECK_URL: optionalString.pipe(url.optional()),
  CA_MEDI_CAL_URL: optionalString.pipe(url.optional()),
  EXCLUSION_SOURCE_DOWNLOAD_STALL_TIMEOUT: seconds.default(60),
  EXCLUSION_SOURCE_MAX_CSV_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(512 * 1024 * 1024),
  SAM_SYNC_CRON: cron.default('0 13 * * *'),
  STATE_LISTS_SYNC_CRON: cron.default('0 14 * * *'),
  SAMPLE_DATA: z.stringbool().default(false),

  WEBHOOK_SECRET: z.string().min(8).default(DEV_SECRETS.WEBHOOK_SECRET),
  CORS_ORIGINS: z
    .string()
    .default('http://localhost:8233')
    .transform((value) =>
      value
        .split(',')
        .map((origin) => origin.trim())
        .filter(Boolean),
    ),
  BOOTSTRAP_ADMIN_EMAIL: z.email().default('admin@ale.test'),
  BOOTSTRAP_ADMIN_PASSWORD: z.string().min(12).default(DEV_SECRETS.BOOTSTRAP_ADMIN_PASSWORD),

  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: optionalString.pipe(url.optional()),
  ROLLBAR_ACCESS_TOKEN: optionalString,
  ROLLBAR_LEVEL: z.enum(['debug', 'info', 'warning', 'error', 'critical']).default('error'),
  ROLLBAR_ENDPOINT: optionalString.pipe(url.optional()),
  CODEC_OIDC_ISSUER: optionalString.pipe(url.optional()),
  CODEC_OIDC_AUDIENCE: optionalString,
  S3_EVENTS_QUEUE_URL: optionalString.pipe(url.optional()),
  EVENTS_HEARTBEAT_INTERVAL: seconds.default(15),
  EVENTS_MAX_QUEUED_BYTES: z.coerce.number().int().min(4096).default(1_048_576),
});

export type Config = Omit<z.output<typeof configSchema>, 'DATABASE_URL' | 'HOST'> & {
  DATABASE_URL: string;
  HOST: string;
};

/** Local mode listens on loopback unless HOST says otherwise: a developer's machine is not a server. */
export function defaultHost(appEnv: Config['APP_ENV']): string {
  return appEnv === 'local' ? '127.0.0.1' : '0.0.0.0';
}

/** Whether HOST admits only this machine (then local mode may serve the codec without a token). */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

function productionProblems(config: z.output<typeof configSchema>, env: Record<string, string | undefined>) {
  if (config.APP_ENV !== 'prod') return [];
  const problems: string[] = [];
  for (const [name, devValue] of Object.entries(DEV_SECRETS)) {
    if (env[name] === undefined || env[name] === devValue) {
      problems.push(`${name}: must be set to a non-development value when APP_ENV=prod`);
    }
  }
  if (Buffer.byteLength(config.AUTH_JWT_SECRET) < 32) {
    problems.push('AUTH_JWT_SECRET: must be at least 32 bytes when APP_ENV=prod');
  }
  if (!config.ROUTE53_HOSTED_ZONE_ID) problems.push('ROUTE53_HOSTED_ZONE_ID: required when APP_ENV=prod');
  if (!config.DATABASE_URL && env.POSTGRES_HOST === undefined) {
    problems.push('DATABASE_URL: required when APP_ENV=prod (or set POSTGRES_HOST/PORT/USER/PASSWORD/DB)');
  }
  return problems;
}

function crossFieldProblems(config: z.output<typeof configSchema>) {
  const problems: string[] = [];
  if (config.EMAIL_PROVIDER === 'sendgrid' && !config.SENDGRID_API_KEY) {
    problems.push('SENDGRID_API_KEY: required when EMAIL_PROVIDER=sendgrid');
  }
  if (Boolean(config.CODEC_OIDC_ISSUER) !== Boolean(config.CODEC_OIDC_AUDIENCE)) {
    problems.push('CODEC_OIDC_ISSUER/CODEC_OIDC_AUDIENCE: set both or neither');
  }
  if (Boolean(config.OAUTH_GOOGLE_CLIENT_ID) !== Boolean(config.OAUTH_GOOGLE_CLIENT_SECRET)) {
    problems.push('OAUTH_GOOGLE_CLIENT_ID/OAUTH_GOOGLE_CLIENT_SECRET: set both or neither');
  }
  if (Boolean(config.OAUTH_MICROSOFT_CLIENT_ID) !== Boolean(config.OAUTH_MICROSOFT_CLIENT_SECRET)) {
    problems.push('OAUTH_MICROSOFT_CLIENT_ID/OAUTH_MICROSOFT_CLIENT_SECRET: set both or neither');
  }
  if (config.OAUTH_MICROSOFT_CLIENT_ID && !config.OAUTH_MICROSOFT_TENANT && !config.OAUTH_MICROSOFT_ISSUER) {
    problems.push(
      'OAUTH_MICROSOFT_TENANT: required with OAUTH_MICROSOFT_CLIENT_ID (or set OAUTH_MICROSOFT_ISSUER)',
    );
  }
  if (Boolean(config.TEMPORAL_TLS_CERT) !== Boolean(config.TEMPORAL_TLS_KEY)) {
    problems.push('TEMPORAL_TLS_CERT/TEMPORAL_TLS_KEY: set both or neither');
  }
  return problems;
}

/** Reads and validates every variable of docs/spec.md §6; throws one ConfigError listing every problem. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const result = configSchema.safeParse(env);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`),
    );
  }
  const parsed = result.data;
  const problems = [...crossFieldProblems(parsed), ...productionProblems(parsed, env)];
  if (problems.length > 0) throw new ConfigError(problems);
  const databaseUrl =
    parsed.DATABASE_URL ??
    `postgres://${encodeURIComponent(parsed.POSTGRES_USER)}:${encodeURIComponent(parsed.POSTGRES_PASSWORD)}@${parsed.POSTGRES_HOST}:${parsed.POSTGRES_PORT}/${encodeURIComponent(parsed.POSTGRES_DB)}`;
  return { ...parsed, DATABASE_URL: databaseUrl, HOST: parsed.HOST ?? defaultHost(parsed.APP_ENV) };
}

/** For process entry points: print one line per problem and exit non-zero. */
export function loadConfigOrExit(env: Record<string, string | undefined> = process.env): Config {
  try {
    return loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(78);
    }
    throw error;
  }
}
