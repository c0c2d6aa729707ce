import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { configSchema, loadConfig } from '../../lib/config';
import { S3_EVENTS_QUEUE_NAME } from '../../scripts/stack/aws-resources';
import { stack } from '../support/stack';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The shared `environment: &env` block of docker-compose.yml, as name → value. */
function composeEnvironment(): Record<string, string> {
  const text = fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8');
  const block = /^ {2}environment: &env\n((?: {4}.*\n)+)/m.exec(text)?.[1];
  assert.ok(block, 'docker-compose.yml has the shared environment block');
  const env: Record<string, string> = {};
  for (const line of block.split('\n')) {
    const entry = /^ {4}([A-Z0-9_]+): (.+)$/.exec(line);
    if (entry) env[entry[1] as string] = entry[2] as string;
  }
  return env;
}

describe('docker-compose.yml', () => {
  it('configures only variables of lib/config.ts, and they load', () => {
    const env = composeEnvironment();
    const known = new Set(Object.keys(configSchema.shape));
    for (const name of Object.keys(env)) assert.ok(known.has(name), `${name} is a configuration variable`);
    assert.doesNotThrow(() => loadConfig(env));
  });

  it('points S3_EVENTS_QUEUE_URL at the queue moto creates, on the same endpoint as the other AWS clients', async () => {
    const env = composeEnvironment();
    assert.ok(env.S3_EVENTS_QUEUE_URL, 'S3_EVENTS_QUEUE_URL is set');
    assert.ok(env.AWS_ENDPOINT_URL);
    const queue = new URL(env.S3_EVENTS_QUEUE_URL);
    assert.equal(queue.origin, new URL(env.AWS_ENDPOINT_URL).origin);
    // The URL moto answered for the queue scripts/stack/aws-resources.ts created in this run's moto.
    const created = new URL(stack().config.S3_EVENTS_QUEUE_URL as string);
    assert.equal(created.pathname.split('/').at(-1), S3_EVENTS_QUEUE_NAME);
    assert.equal(queue.pathname, created.pathname);
  });
});
