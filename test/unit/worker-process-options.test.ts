import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { WORKER_ENV, WORKER_NODE_FLAGS } from '../../workers/process-options';

describe('worker process options', () => {
  it("package.json's `worker` script starts the worker as workers/process-options.ts says", () => {
    const { scripts } = JSON.parse(fs.readFileSync('package.json', 'utf8')) as {
      scripts: { worker: string };
    };
    const words = scripts.worker.split(/\s+/);
    for (const flag of WORKER_NODE_FLAGS) assert.ok(words.includes(flag), `npm run worker lacks ${flag}`);
    for (const [name, value] of Object.entries(WORKER_ENV)) {
      assert.ok(words.includes(`${name}=${value}`), `npm run worker lacks ${name}=${value}`);
    }
  });

  it('this Node accepts every flag (a V8 flag dropped by an upgrade stops the worker at start)', () => {
    const run = spawnSync(process.execPath, [...WORKER_NODE_FLAGS, '-e', '0'], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
  });
});
