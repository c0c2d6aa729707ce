import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';

/**
 * The API fuzzed from its own OpenAPI document (docs/testing.md): `npm run fuzz:api` in a process of
 * its own, on a stack of its own. Part of the suite, so that `npm test` alone says whether the
 * contract holds; its report is kept out of the suite's output unless it fails.
 */
function fuzzApi(): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'scripts/fuzz-api.ts'],
      { maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, output: `${stdout}\n${stderr}` });
      },
    );
  });
}

describe('the API against its OpenAPI document (schemathesis, npm run fuzz:api)', function () {
  this.timeout(20 * 60_000);

  it('answers every generated request with a documented status, content type and body, never a 5xx', async () => {
    const { code, output } = await fuzzApi();
    const tail = output.split('\n').slice(-150).join('\n');
    assert.equal(code, 0, `npm run fuzz:api exited ${code}; the end of its report:\n${tail}`);
    const summary = /(\d+) generated, (\d+) passed/.exec(output);
    assert.ok(summary, `no schemathesis summary in the report:\n${tail}`);
    assert.ok(Number(summary[1]) > 0, 'schemathesis generated no request');
    assert.equal(summary[2], summary[1], `not every generated request passed:\n${tail}`);
  });
});
