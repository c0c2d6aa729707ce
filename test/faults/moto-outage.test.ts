import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import { decodeFailure } from '@temporalio/common/lib/internal-non-workflow';
import { failureConverter } from '../../lib/failure-converter';
import { AesGcmPayloadCodec } from '../../lib/payload-codec';
import { createOrganization } from '../support/fixtures';
import { stack } from '../support/stack';
import { startWorkerProcess } from '../support/worker-process';
import { until } from '../workflows/organization-support';
import {
  employeesOf,
  importErrors,
  importRow,
  npiFor,
  stageImport,
  startImportWorkflow,
} from '../workflows/roster-import-support';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * docs/spec.md §12: S3 away in the middle of an import delays it, never fails it or leaves it
 * `running`. (issue 25, "moto stopped mid-import → completes")
 *
 * How S3 goes away: moto is stopped with SIGSTOP and resumed with SIGCONT (stack().suspend.moto).
 * moto keeps its buckets in memory, so it cannot be killed and restarted as Postgres is (its
 * recorder replays requests into a new process, which is a restart with a script, not an outage);
 * a loopback proxy in front of it would cut only the path the test chose, in the way the proxy
 * chooses. A stopped process is the real thing, and the harder case: the worker's open GetObject
 * body stops mid-stream and every new request connects (the kernel still completes the handshake)
 * and then hangs, as with a wedged endpoint or a dead network path, not a quick "connection
 * refused". Only the S3 client's socket timeout (AWS_S3_SOCKET_TIMEOUT_MS, lowered here so the
 * shortened outage holds several attempts) turns that into a failed attempt; without it the read
 * waits for as long as the outage lasts.
 *
 * The file is large enough (≈ 16 MB) that what the kernel's socket buffers already hold when moto
 * stops is well short of its end: the test asserts that the import stalled mid-file during the
 * outage, so it cannot pass by reading a file that had already arrived.
 */
describe('S3 (moto) stopped in the middle of an import (docs/spec.md §12)', function () {
  this.timeout(300_000);

  it('the read times out, the activity retries through the outage, and the import ends with exactly the rows of its file', async () => {
    const rows = 60_000;
    // A long (valid) title per row makes the file large without making the import slower per row.
    const title = (i: number) => `Registered Nurse ${i} `.padEnd(195, 'x');
    const lines = ['Employee ID,First Name,Last Name,DOB,NPI,Email,Title'];
    for (let i = 1; i <= rows; i++) {
      lines.push(
        `E${i},First${i},Last${i},1980-01-${String((i % 28) + 1).padStart(2, '0')},${npiFor(i)},e${i}@example.test,${title(i)}`,
      );
    }
    const csv = `${lines.join('\n')}\n`;
    assert.ok(csv.length > 15_000_000);

    const organization = await createOrganization('S3 Outage Care');
    const imp = await stageImport(organization.id, csv);
    const taskQueue = `moto-outage-${randomUUID()}`;
    const worker = await startWorkerProcess(taskQueue, {
      AWS_S3_SOCKET_TIMEOUT_MS: 2000,
      AWS_S3_CONNECT_TIMEOUT_MS: 2000,
    });
    try {
      const handle = await startImportWorkflow(taskQueue, imp.id, 500);
      await until(
        'an import in the middle of its file',
        async () => {
          const processed = (await importRow(imp.id)).rowsProcessed;
          return processed >= 500 && processed < rows;
        },
        60_000,
      );

      let duringOutage: Awaited<ReturnType<typeof importRow>> | undefined;
      let peopleDuringOutage = -1;
      await stack().suspend.moto(async () => {
        // Several attempts fail meanwhile: each hangs until its socket timeout (the body mid-stream,
        // then HEAD), and the retry policy starts the next one after 1, 2, 4, 8… s.
        await sleep(35_000);
        duringOutage = await importRow(imp.id);
        peopleDuringOutage = (await employeesOf(organization.id)).length;
      });
      assert.ok(duringOutage);
      assert.equal(duringOutage.status, 'running', 'the outage did not end the import');
      assert.ok(
        duringOutage.rowsProcessed < rows,
        `the import was stalled mid-file by the outage (${duringOutage.rowsProcessed} of ${rows} rows)`,
      );
      assert.equal(
        peopleDuringOutage,
        duringOutage.rowsProcessed,
        'nothing half-written: the rows in the table are exactly the committed batches',
      );

      const summary = await handle.result();
      assert.equal(summary.status, 'succeeded');
      assert.deepEqual(summary.counts, {
        total: rows,
        inserted: rows,
        updated: 0,
        unchanged: 0,
        deactivated: 0,
        rejected: 0,
      });
      const final = await importRow(imp.id);
      assert.equal(final.status, 'succeeded');
      assert.equal(final.rowsProcessed, rows);
      assert.deepEqual(await importErrors(imp.id), []);

      const people = await employeesOf(organization.id);
      assert.equal(people.length, rows, 'no row lost, none twice');
      const byExternalId = new Map(people.map((person) => [person.external_id as string, person]));
      assert.equal(byExternalId.size, rows);
      for (let i = 1; i <= rows; i++) {
        const person = byExternalId.get(`E${i}`);
        assert.ok(person, `E${i} was imported`);
        assert.deepEqual(
          [person.first_name, person.last_name, person.npi, person.email, person.title],
          [`First${i}`, `Last${i}`, npiFor(i), `e${i}@example.test`, title(i)],
          `E${i} holds its row of the file`,
        );
      }

      // The retries are visible in the workflow's history: the reading activity met the outage
      // (its socket timeout) and ran again, several times, with no attempt limit.
      const events = (await handle.fetchHistory()).events ?? [];
      const scheduled = new Map<string, string>();
      for (const event of events) {
        const attributes = event.activityTaskScheduledEventAttributes;
        if (attributes) scheduled.set(String(event.eventId), attributes.activityType?.name ?? '');
      }
      const readAttempts = events
        .map((event) => event.activityTaskStartedEventAttributes)
        .filter(
          (attributes) =>
            attributes != null && scheduled.get(String(attributes.scheduledEventId)) === 'importRosterRows',
        );
      assert.equal(readAttempts.length, 1, 'one read activity (its retries are attempts of it)');
      const [read] = readAttempts;
      assert.ok(
        (read?.attempt ?? 1) >= 3,
        `the read ran ${read?.attempt} times: several attempts met the outage`,
      );
      // Failure messages are encrypted in history (docs/spec.md §7): decoded as the client does.
      assert.ok(read?.lastFailure);
      const lastFailure = failureConverter.failureToError(
        await decodeFailure([new AesGcmPayloadCodec(stack().config.TEMPORAL_PAYLOAD_KEY)], read.lastFailure),
        defaultPayloadConverter,
      );
      assert.match(
        lastFailure.message,
        /socket timed out/,
        'the attempts ended on the S3 socket timeout, not on a stalled heartbeat',
      );
      for (const [id, name] of scheduled) {
        const attributes = events.find(
          (event) => String(event.eventId) === id,
        )?.activityTaskScheduledEventAttributes;
        assert.equal(attributes?.retryPolicy?.maximumAttempts ?? 0, 0, `${name} has no attempt limit`);
      }
    } finally {
      await worker.stop();
    }
  });
});
