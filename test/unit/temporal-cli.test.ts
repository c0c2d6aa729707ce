import assert from 'node:assert/strict';
import { resolveTemporalCli, TEMPORAL_CLI_HELP } from '../../scripts/stack/temporal-cli';

describe('Temporal CLI resolution', () => {
  const saved = process.env.TEMPORAL_CLI_PATH;
  afterEach(() => {
    if (saved === undefined) delete process.env.TEMPORAL_CLI_PATH;
    else process.env.TEMPORAL_CLI_PATH = saved;
  });

  it('uses TEMPORAL_CLI_PATH first', () => {
    process.env.TEMPORAL_CLI_PATH = process.execPath;
    assert.deepEqual(resolveTemporalCli(), { source: 'TEMPORAL_CLI_PATH', path: process.execPath });
  });

  it('says what to fix when TEMPORAL_CLI_PATH points nowhere', () => {
    process.env.TEMPORAL_CLI_PATH = '/nonexistent/temporal';
    assert.throws(() => resolveTemporalCli(), /TEMPORAL_CLI_PATH=\/nonexistent\/temporal does not exist/);
  });

  it('tells how to provide a CLI when none can be had', () => {
    for (const way of ['TEMPORAL_CLI_PATH=', "'temporal' binary on PATH", 'go install', 'temporal@v1.5.1']) {
      assert.ok(TEMPORAL_CLI_HELP.includes(way), way);
    }
  });
});
