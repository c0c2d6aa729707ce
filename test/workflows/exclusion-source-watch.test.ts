import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { execute, query } from '../../db/sql';
import type { Config } from '../../lib/config';
import { exclusionSourceWatch } from '../../workflows/exclusion-source-watch';
import { createUser, emailMessagesAbout } from '../support/fixtures';
import { stack } from '../support/stack';

async function insertCheck(
  source: string,
  status: 'imported' | 'unchanged' | 'failed',
  checkedAt: Date,
  error?: string,
) {
  const id = randomUUID();
  await execute(
    stack().sequelize,
    `INSERT INTO exclusion_source_checks (id, source, checked_at, trigger, status, row_count, error)
     VALUES ($id, $source, $checkedAt, 'schedule', $status, $rowCount, $error)`,
    { id, source, checkedAt, status, rowCount: status === 'imported' ? 1 : null, error: error ?? null },
  );
  return id;
}

const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000);

describe('exclusionSourceWatch workflow: platform admins emailed once per failed/stale episode (docs/spec.md §8)', function () {
  this.timeout(120_000);
  const overrides: Partial<Config> = {
    EXCLUSION_SOURCES: ['pa_medicheck', 'ca_medi_cal'],
    PA_MEDICHECK_URL: 'http://127.0.0.1:9/pa.csv',
    CA_MEDI_CAL_URL: 'http://127.0.0.1:9/ca.csv',
  };
  let admin: { email: string };

  before(async () => {
    admin = (await createUser({ platformAdmin: true })).user;
    await execute(
      stack().sequelize,
      `DELETE FROM exclusion_source_checks WHERE source IN ('pa_medicheck', 'ca_medi_cal')`,
    );
  });
  after(() =>
    execute(
      stack().sequelize,
      `DELETE FROM exclusion_source_checks WHERE source IN ('pa_medicheck', 'ca_medi_cal')`,
    ),
  );

  async function watch() {
    const taskQueue = `source-watch-${randomUUID()}`;
    const worker = await stack().createWorker(taskQueue, overrides);
    return worker.runUntil(
      stack().temporal.workflow.execute(exclusionSourceWatch, {
        taskQueue,
        workflowId: `exclusion-source-watch/test-${randomUUID()}`,
        args: [],
      }),
    );
  }

  it('emails each platform admin when a list turns failed, once for the episode, again for the next one', async () => {
    await insertCheck('pa_medicheck', 'imported', minutesAgo(30));
    const firstFailure = await insertCheck(
      'pa_medicheck',
      'failed',
      minutesAgo(20),
      'ExclusionSourceNotCsv: HTML',
    );
    await insertCheck('pa_medicheck', 'failed', minutesAgo(10), 'ExclusionSourceUnreachable: stalled');
    await insertCheck('ca_medi_cal', 'imported', minutesAgo(5));

    const first = await watch();
    assert.equal(first.alerts, 1, 'only the failed list');
    const sent = await emailMessagesAbout(firstFailure);
    const mine = sent.filter((message) => message.to_address === admin.email);
    assert.equal(mine.length, 1);
    assert.equal(mine[0]?.template, 'exclusion-source-alert');
    assert.match(mine[0]?.subject ?? '', /Pennsylvania Medicheck.* is failed/);
    assert.ok(sent.every((message) => message.status === 'sent'));

    await watch();
    assert.equal(
      (await emailMessagesAbout(firstFailure)).length,
      sent.length,
      'the same episode is not emailed again',
    );

    await insertCheck('pa_medicheck', 'unchanged', minutesAgo(3));
    const next = await insertCheck(
      'pa_medicheck',
      'failed',
      minutesAgo(1),
      'ExclusionSourceMissingColumn: x',
    );
    await watch();
    assert.equal(
      (await emailMessagesAbout(next)).filter((message) => message.to_address === admin.email).length,
      1,
      'a failure after a success is a new episode',
    );
  });

  it('emails when a list turns stale (no successful check within EXCLUSION_SOURCE_STALE_AFTER)', async () => {
    await execute(
      stack().sequelize,
      `DELETE FROM exclusion_source_checks WHERE source IN ('pa_medicheck', 'ca_medi_cal')`,
    );
    const old = await insertCheck('ca_medi_cal', 'imported', new Date(Date.now() - 3 * 86_400_000));
    const result = await watch();
    assert.equal(result.alerts, 1);
    const [message] = (await emailMessagesAbout(old)).filter((row) => row.to_address === admin.email);
    assert.match(message?.subject ?? '', /is stale/);
    const rows = await query(
      stack().sequelize,
      'SELECT 1 FROM email_messages WHERE related_entity_id = $old',
      { old },
    );
    await watch();
    assert.equal((await emailMessagesAbout(old)).length, rows.length, 'once per episode');
  });
});
