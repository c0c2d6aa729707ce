import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import proto from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { createDataConverter } from '../../lib/temporal';
import { historiesDir } from '../support/record-histories';
import { stack } from '../support/stack';

const files = fs.existsSync(historiesDir)
  ? fs.readdirSync(historiesDir).filter((f) => f.endsWith('.json'))
  : [];

describe('replay of recorded histories (determinism guard)', () => {
  it('has a recorded history for every workflow type the worker registers', () => {
    const types = new Set(files.map((file) => file.replace(/-\d+\.json$/, '')));
    for (const type of [
      'workerSelfCheck',
      'organizationLifecycle',
      'invitation',
      'rosterImport',
      'oigSync',
      'exclusionScreening',
    ]) {
      assert.ok(types.has(type), `test/histories has no ${type} history: run npm run histories:record`);
    }
  });

  it('replays every history in test/histories without a non-determinism error', async function () {
    this.timeout(120_000);
    const histories = files.map((file) => {
      const { workflowId, history } = JSON.parse(fs.readFileSync(path.join(historiesDir, file), 'utf8'));
      return { workflowId, history: proto.temporal.api.history.v1.History.fromObject(history) };
    });
    const failures: string[] = [];
    for await (const result of Worker.runReplayHistories(
      { workflowBundle: stack().workflowBundle, dataConverter: createDataConverter(stack().config) },
      histories,
    )) {
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    assert.equal(histories.length, files.length);
    assert.deepEqual(failures, []);
  });
});
