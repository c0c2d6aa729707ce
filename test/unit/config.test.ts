import assert from 'node:assert/strict';
import { EXCLUSION_SOURCE_IDS } from '../../domain/exclusion-sources/source';
import {
  CONFIG_EXCLUSION_SOURCE_IDS,
  ConfigError,
  DEV_SECRETS,
  isLoopbackHost,
  loadConfig,
} from '../../lib/config';
import { configuredProviders } from '../../lib/oidc';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
  assert.fail('expected a ConfigError');
}

describe('config', () => {
  it('starts on the development defaults of docs/spec.md §6', () => {
    const config = loadConfig({});
    assert.equal(config.PORT, 3000);
    assert.equal(config.TEMPORAL_ADDRESS, '127.0.0.1:7233');
    assert.equal(config.TEMPORAL_TASK_QUEUE, 'ale');
    assert.equal(config.DATABASE_URL, 'postgres://postgres:postgres@127.0.0.1:5433/ale');
    assert.equal(config.OIG_SYNC_CRON, '0 6 * * *');
    assert.equal(config.EXCLUSION_SOURCE_STALE_AFTER, 172800, 'docs/spec.md §8');
    assert.equal(config.SAMPLE_DATA, false);
    assert.deepEqual(config.CORS_ORIGINS, ['http://localhost:8233']);
  });

  it('listens on loopback in local mode and everywhere elsewhere, unless HOST says otherwise', () => {
    assert.equal(loadConfig({}).HOST, '127.0.0.1');
    assert.equal(loadConfig({ APP_ENV: 'dev' }).HOST, '0.0.0.0');
    assert.equal(loadConfig({ HOST: '0.0.0.0' }).HOST, '0.0.0.0');
    assert.equal(loadConfig({ APP_ENV: 'dev', HOST: '10.1.2.3' }).HOST, '10.1.2.3');
  });

  it('tells loopback hosts from the others', () => {
    for (const host of ['127.0.0.1', '127.0.1.1', 'localhost', '::1']) assert.ok(isLoopbackHost(host), host);
    for (const host of ['0.0.0.0', '::', '10.0.0.1', '192.168.1.2', 'example.test']) {
      assert.ok(!isLoopbackHost(host), host);
    }
  });

  it('keeps /metrics on its own port unless a token of 16 characters or more is set', () => {
    const config = loadConfig({});
    assert.equal(config.METRICS_PORT, 9464);
    assert.equal(config.METRICS_TOKEN, undefined);
    assert.deepEqual(
      problemsOf({ METRICS_TOKEN: 'short' }).map((line) => line.split(':')[0]),
      ['METRICS_TOKEN'],
    );
  });

  it('builds DATABASE_URL from POSTGRES_* when it is not given', () => {
    const config = loadConfig({ POSTGRES_HOST: 'db', POSTGRES_PORT: '6000', POSTGRES_PASSWORD: 'p@ss' });
    assert.equal(config.DATABASE_URL, 'postgres://postgres:p%40ss@db:6000/ale');
  });

  it('reports one line per invalid value, naming the variable', () => {
    const problems = problemsOf({
      PORT: 'abc',
      TEMPORAL_ADDRESS: 'nohostport',
      EMAIL_PROVIDER: 'smtp',
      AWS_ENDPOINT_URL: 'not a url',
      DATABASE_URL: 'mysql://x',
      ACCESS_TOKEN_EXPIRE: '-5',
      TEMPORAL_PAYLOAD_KEY: 'short',
    });
    const names = problems.map((line) => line.split(':')[0]).sort();
    assert.deepEqual(names, [
      'ACCESS_TOKEN_EXPIRE',
      'AWS_ENDPOINT_URL',
      'DATABASE_URL',
      'EMAIL_PROVIDER',
      'PORT',
      'TEMPORAL_ADDRESS',
      'TEMPORAL_PAYLOAD_KEY',
    ]);
  });

  it('requires SENDGRID_API_KEY when EMAIL_PROVIDER=sendgrid', () => {
    assert.deepEqual(problemsOf({ EMAIL_PROVIDER: 'sendgrid' }), [
      'SENDGRID_API_KEY: required when EMAIL_PROVIDER=sendgrid',
    ]);
  });

  it('wants each single-sign-on client id with its secret, and a tenant for Microsoft (docs/spec.md §11)', () => {
    assert.deepEqual(problemsOf({ OAUTH_GOOGLE_CLIENT_ID: 'id' }), [
      'OAUTH_GOOGLE_CLIENT_ID/OAUTH_GOOGLE_CLIENT_SECRET: set both or neither',
    ]);
    assert.deepEqual(problemsOf({ OAUTH_MICROSOFT_CLIENT_ID: 'id', OAUTH_MICROSOFT_CLIENT_SECRET: 's' }), [
      'OAUTH_MICROSOFT_TENANT: required with OAUTH_MICROSOFT_CLIENT_ID (or set OAUTH_MICROSOFT_ISSUER)',
    ]);
    const config = loadConfig({
      OAUTH_MICROSOFT_CLIENT_ID: 'id',
      OAUTH_MICROSOFT_CLIENT_SECRET: 's',
      OAUTH_MICROSOFT_TENANT: '72f988bf-86f1-41af-91ab-2d7cd011db47',
    });
    assert.deepEqual(
      configuredProviders(config).map((p) => [p.id, p.issuer]),
      [['microsoft', 'https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0']],
    );
    assert.deepEqual(configuredProviders(loadConfig({})), []);
  });

  it('refuses development secrets and a short JWT secret in prod', () => {
    const problems = problemsOf({
      APP_ENV: 'prod',
      AUTH_JWT_SECRET: 'too-short-but-16-chars',
      DATABASE_URL: 'postgres://u:p@db/ale',
      ROUTE53_HOSTED_ZONE_ID: 'Z1',
    });
    for (const name of ['TEMPORAL_PAYLOAD_KEY', 'WEBHOOK_SECRET', 'BOOTSTRAP_ADMIN_PASSWORD']) {
      assert.ok(
        problems.some((line) => line.startsWith(`${name}:`)),
        `${name} should be refused`,
      );
    }
    assert.ok(problems.includes('AUTH_JWT_SECRET: must be at least 32 bytes when APP_ENV=prod'));
  });

  it('accepts prod when every secret is its own', () => {
    const config = loadConfig({
      APP_ENV: 'prod',
      AUTH_JWT_SECRET: 'x'.repeat(40),
      TEMPORAL_PAYLOAD_KEY: `k2:${Buffer.alloc(32, 7).toString('base64')}`,
      WEBHOOK_SECRET: 'prod-webhook-secret',
      BOOTSTRAP_ADMIN_PASSWORD: 'a-long-prod-password',
      DATABASE_URL: 'postgres://u:p@db/ale',
      ROUTE53_HOSTED_ZONE_ID: 'Z1',
    });
    assert.equal(config.APP_ENV, 'prod');
    assert.notEqual(config.AUTH_JWT_SECRET, DEV_SECRETS.AUTH_JWT_SECRET);
  });

  it('reads the exclusion sources of docs/spec.md §8: leie,sam by default, unknown ids refused', () => {
    assert.deepEqual([...CONFIG_EXCLUSION_SOURCE_IDS], [...EXCLUSION_SOURCE_IDS]);
    const config = loadConfig({});
    assert.deepEqual(config.EXCLUSION_SOURCES, ['leie', 'sam']);
    assert.equal(config.SAM_EXTRACT_URL, 'https://api.sam.gov/data-services/v1/extracts?fileType=EXCLUSION');
    assert.equal(config.SAM_SYNC_CRON, '0 13 * * *');
    assert.equal(config.STATE_LISTS_SYNC_CRON, '0 14 * * *');
    assert.equal(config.PA_MEDICHECK_URL, undefined);
    assert.deepEqual(loadConfig({ EXCLUSION_SOURCES: ' sam, pa_medicheck ,sam' }).EXCLUSION_SOURCES, [
      'sam',
      'pa_medicheck',
    ]);
    assert.throws(
      () => loadConfig({ EXCLUSION_SOURCES: 'leie,texas' }),
      (error: unknown) => {
        return error instanceof ConfigError && /EXCLUSION_SOURCES/.test(error.message);
      },
    );
  });
});
