import assert from 'node:assert/strict';
import { createLogger } from '../../lib/logger';
import { TEST_PASSWORD } from '../support/fixtures';
import { secretsInLogs } from '../support/log-secrets';

describe('the log secrets check (run over every log line at the end of npm test)', () => {
  it('flags passwords, JWTs and roster rows, and passes ordinary lines', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abcdefghijklmnopqrstuv';
    const found = secretsInLogs([
      `{"msg":"login","password":"${TEST_PASSWORD}"}`,
      `{"msg":"auth","header":"Bearer ${jwt}"}`,
      '{"row":{"firstName":"Jane","dateOfBirth":"1980-01-01"}}',
      '{"msg":"request","route":"/v1/auth/login","status":401}',
    ]);
    assert.equal(found.length, 4);
    assert.ok(found.every((line) => !line.includes('"status":401')));
  });

  it('the logger redacts password and token keys before they reach a line', () => {
    const lines: string[] = [];
    const logger = createLogger(
      { level: 'info', name: 't' },
      { write: (line: string) => void lines.push(line) },
    );
    logger.info({ password: TEST_PASSWORD, accessToken: 'eyJx.eyJy.z', body: { token: 't0k3n' } }, 'oops');
    assert.deepEqual(secretsInLogs(lines), []);
    assert.ok(!lines.join('').includes('t0k3n'));
  });

  it('flags a Postgres detail quoting a row', () => {
    const found = secretsInLogs([
      '{"err":{"detail":"Failing row contains (1, Jane, Doe)."}}',
      '{"err":{"detail":"Key (subdomain)=(acme) already exists."}}',
      '{"err":{"detail":"[redacted]","constraint":"organizations_subdomain_key"}}',
    ]);
    assert.equal(found.length, 2);
  });

  it('the logger drops the detail, where and quoted input of a Postgres error', () => {
    const lines: string[] = [];
    const logger = createLogger(
      { level: 'info', name: 't' },
      { write: (line: string) => void lines.push(line) },
    );
    const error = Object.assign(new Error('invalid input syntax for type uuid: "s3cr3t-value"'), {
      severity: 'ERROR',
      code: '22P02',
      detail: 'Key (v)=(s3cr3t-value) already exists.',
      where: "unnamed portal parameter $1 = 's3cr3t-value'",
      routine: 'string_to_uuid',
    });
    logger.error({ err: new Error('query failed', { cause: error }) }, 'unhandled error');
    logger.error({ err: error }, 'unhandled error');
    assert.equal(lines.length, 2);
    for (const line of lines) assert.ok(!line.includes('s3cr3t-value'), line);
    assert.match(lines[1] ?? '', /"code":"22P02"/);
    assert.match(lines[1] ?? '', /"routine":"string_to_uuid"/);
  });
});
