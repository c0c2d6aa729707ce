import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import { decodeFailure } from '@temporalio/common/lib/internal-non-workflow';
import { failureConverter } from '../../lib/failure-converter';
import { AesGcmPayloadCodec } from '../../lib/payload-codec';
import { allRowsInserted, createOrganization } from '../support/fixtures';
import { stack } from '../support/stack';
import { startTcpProxy } from '../support/tcp-proxy';
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
 * How S3 goes away, first: moto is stopped with SIGSTOP and resumed with SIGCONT
 * (stack().suspend.moto). moto keeps its buckets in memory, so it cannot be killed and restarted as
 * Postgres is (its recorder replays requests into a new process: a restart with a script, not an
 * outage). A stopped process is the real thing, and the harder case: the worker's open GetObject
 * body stops mid-stream and every new request connects (the kernel still completes the handshake)
 * and then hangs, as with a wedged endpoint or a dead network path. Only the S3 client's socket
 * timeout (AWS_S3_SOCKET_TIMEOUT_MS, lowered here so the shortened outage holds several attempts)
 * turns that into a failed attempt; without it the read waits for as long as the outage lasts.
 *
 * Second, the other face of an outage, errors at once: a loopback proxy (test/support/tcp-proxy.ts)
 * in front of the same moto, for this test's worker only, resets the open connections (the body
 * being read ends in ECONNRESET, which must fail the read, never end the file short) and refuses
 * new ones until it listens again. The client, the server and the bytes are real; only the path is cut.
 *
 * The file is large enough (≈ 16 MB) that what the socket buffers already hold when S3 goes away
 * is well short of its end: the test asserts that the import stalled mid-file during the outage,
 * so it cannot pass by reading a file that had already arrived.
 */
/** What the test does to S3 while the import is mid-file; resolves when S3 is back. */
type Outage = (during: () => Promise<void>) => Promise<void>;

/** A roster of `rows` employees, ≈ 265 bytes a row (a long, valid title makes the file large). */
function largeRoster(rows: number) {
  const title = (i: number) => `Registered Nurse ${i} `.padEnd(195, 'x');
  const lines = ['Employee ID,First Name,Last Name,DOB,NPI,Email,Title'];
  for (let i = 1; i <= rows; i++) {
    lines.push(
      `E${i},First${i},Last${i},1980-01-${String((i % 28) + 1).padStart(2, '0')},${npiFor(i)},e${i}@example.test,${title(i)}`,
    );
  }
  return { csv: `${lines.join('\n')}\n`, title };
}

/**
 * A real worker process (workers/main.ts) imports a 16 MB file; once its first batch committed,
 * `outage` takes S3 away for `outageMs` and brings it back. Asserts the import stalled mid-file
 * with only whole batches written, then completed with exactly the file's rows, and returns the
 * read activity's final attempt and the error that ended the attempt before it.
 */
async function importThroughOutage(
  workerEndpoint: string | undefined,
  outage: Outage,
  outageMs: number,
  socketTimeoutMs: number,
): Promise<{ attempt: number; lastFailure: string }> {
  const rows = 60_000;
  const { csv, title } = largeRoster(rows);
  assert.ok(csv.length > 15_000_000);
  const organization = await createOrganization('S3 Outage Care');
  const imp = await stageImport(organization.id, csv);
  const taskQueue = `moto-outage-${randomUUID()}`;
  const worker = await startWorkerProcess(taskQueue, {
    AWS_S3_SOCKET_TIMEOUT_MS: socketTimeoutMs,
    AWS_S3_CONNECT_TIMEOUT_MS: 2000,
    ...(workerEndpoint ? { AWS_ENDPOINT_URL: workerEndpoint } : {}),
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
    await outage(async () => {
      // Several attempts fail meanwhile; the retry policy starts the next after 1, 2, 4, 8… s.
      await sleep(outageMs);
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
    assert.deepEqual(summary.counts, allRowsInserted(rows));
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

    // The retries are visible in the workflow's history: the reading activity met the outage and
    // ran again, with no attempt limit on any activity of the import.
    const events = (await handle.fetchHistory()).events ?? [];
    const scheduled = new Map<string, string>();
    for (const event of events) {
      const attributes = event.activityTaskScheduledEventAttributes;
      if (!attributes) continue;
      scheduled.set(String(event.eventId), attributes.activityType?.name ?? '');
      assert.equal(
        attributes.retryPolicy?.maximumAttempts ?? 0,
        0,
        `${attributes.activityType?.name} has no attempt limit`,
      );
    }
    const reads = events
      .map((event) => event.activityTaskStartedEventAttributes)
      .filter(
        (attributes) =>
          attributes != null && scheduled.get(String(attributes.scheduledEventId)) === 'importRosterRows',
      );
    assert.equal(reads.length, 1, 'one read activity (its retries are attempts of it)');
    const [read] = reads;
    assert.ok(read?.lastFailure, 'the read failed before its last attempt');
    // Failure messages are encrypted in history (docs/spec.md §7): decoded as the client does.
    const lastFailure = failureConverter.failureToError(
      await decodeFailure([new AesGcmPayloadCodec(stack().config.TEMPORAL_PAYLOAD_KEY)], read.lastFailure),
      defaultPayloadConverter,
    );
    return { attempt: read.attempt ?? 1, lastFailure: lastFailure.message };
  } finally {
    await worker.stop();
  }
}

describe('S3 (moto) away in the middle of an import (docs/spec.md §12)', function () {
  this.timeout(300_000);

  it('moto stopped: the hung read times out, the activity retries through the outage, and the import ends with exactly the rows of its file', async () => {
    const read = await importThroughOutage(undefined, (during) => stack().suspend.moto(during), 35_000, 2000);
    assert.ok(read.attempt >= 3, `the read ran ${read.attempt} times: several attempts met the outage`);
    // Each attempt hung until the client's socket timeout: none waited for a stalled heartbeat.
    assert.match(read.lastFailure, /socket timed out/);
  });

  it('the path to moto cut (open connections reset, new ones refused): the read fails at once and is retried until S3 answers again', async () => {
    const [host, port] = new URL(stack().config.AWS_ENDPOINT_URL as string).host.split(':');
    const proxy = await startTcpProxy({ host: host as string, port: Number(port) });
    try {
      const read = await importThroughOutage(
        `http://127.0.0.1:${proxy.port}`,
        async (during) => {
          await proxy.cut();
          try {
            await during();
          } finally {
            await proxy.restore();
          }
        },
        20_000,
        // Refusals and resets are immediate; the default keeps a slow batch commit from adding
        // timed-out attempts of its own.
        30_000,
      );
      assert.ok(read.attempt >= 3, `the read ran ${read.attempt} times: several attempts met the outage`);
      assert.match(read.lastFailure, /ECONNREFUSED/);
    } finally {
      await proxy.close();
    }
  });
});
