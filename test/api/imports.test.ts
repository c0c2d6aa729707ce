import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { QueryTypes } from 'sequelize';
import { createMember, createOrganization, setOrganizationState } from '../support/fixtures';
import { call } from '../support/http';
import { stack } from '../support/stack';
import { employeeCsv, putObject } from '../workflows/roster-import-support';

describe('imports API (real app, dev server, worker, Postgres, moto)', () => {
  let taskQueue: string;
  let app: ReturnType<ReturnType<typeof stack>['createApp']>;

  before(() => {
    taskQueue = `imports-api-${randomUUID()}`;
    app = stack().createApp({ TEMPORAL_TASK_QUEUE: taskQueue });
  });

  /** Runs a worker on the app's task queue until the workflow ends (a worker runs until once). */
  async function finished(workflowId: string) {
    const worker = await stack().createWorker(taskQueue);
    const handle = stack().temporal.workflow.getHandle(workflowId);
    await worker.runUntil(handle.result().catch(() => undefined));
  }

  async function setup() {
    const org = await createOrganization();
    const admin = await createMember(org.id, 'admin');
    return { org, admin };
  }

  it('POST with the file as the body streams it to S3 and imports it; errors page as JSON and CSV', async () => {
    const { org, admin } = await setup();
    const csv = `${employeeCsv(3)}E9,Bad,Date,=1+1,,\nE10,Bad,Npi,,1234567890,\n`;
    const started = await call(
      app,
      'POST',
      `/v1/organizations/${org.id}/imports?kind=employees&dryRun=false`,
      {
        token: admin.token,
        body: csv,
        headers: { 'content-type': 'text/csv' },
      },
    );
    assert.equal(started.status, 202, JSON.stringify(started.body));
    assert.equal(started.body.workflowId, `roster-import/${started.body.id}`);
    assert.equal(started.body.links.self, `/v1/organizations/${org.id}/imports/${started.body.id}`);
    assert.match(started.body.sourceKey, new RegExp(`^imports/${org.id}/employees/`));
    assert.deepEqual([started.body.mode, started.body.dryRun, started.body.format], ['merge', false, 'csv']);
    await finished(started.body.workflowId);

    const imp = await call(app, 'GET', `/v1/organizations/${org.id}/imports/${started.body.id}`, {
      token: admin.token,
    });
    assert.equal(imp.status, 200);
    assert.equal(imp.body.status, 'succeeded');
    assert.equal(imp.body.rowsProcessed, 5);
    assert.deepEqual(imp.body.counts, {
      total: 5,
      inserted: 3,
      updated: 0,
      unchanged: 0,
      deactivated: 0,
      rejected: 2,
    });

    const first = await call(
      app,
      'GET',
      `/v1/organizations/${org.id}/imports/${imp.body.id}/errors?limit=1`,
      {
        token: admin.token,
      },
    );
    assert.equal(first.status, 200);
    assert.deepEqual(first.body.items, [
      {
        rowNumber: 5,
        column: 'date_of_birth',
        code: 'invalid_date',
        message: first.body.items[0].message,
        value: '=1+1',
      },
    ]);
    const second = await call(
      app,
      'GET',
      `/v1/organizations/${org.id}/imports/${imp.body.id}/errors?limit=1&cursor=${first.body.nextCursor}`,
      { token: admin.token },
    );
    assert.deepEqual(
      second.body.items.map((e: any) => [e.rowNumber, e.code]),
      [[6, 'invalid_npi']],
    );
    assert.equal(second.body.nextCursor, null);

    const csvReport = await call(
      app,
      'GET',
      `/v1/organizations/${org.id}/imports/${imp.body.id}/errors.csv`,
      {
        token: admin.token,
      },
    );
    assert.equal(csvReport.status, 200);
    assert.match(csvReport.headers.get('content-type') ?? '', /^text\/csv/);
    const lines = (csvReport.body as string).trim().split('\r\n');
    assert.equal(lines[0], 'row_number,column,code,message,value');
    assert.equal(lines.length, 3);
    assert.match(lines[1] as string, /^"5","date_of_birth","invalid_date",".*","'=1\+1"$/);

    const list = await call(app, 'GET', `/v1/organizations/${org.id}/imports`, { token: admin.token });
    assert.deepEqual(
      list.body.items.map((i: any) => i.id),
      [imp.body.id],
    );
  });

  it('presigned upload then JSON POST; keys outside the organization prefix answer 403', async () => {
    const { org, admin } = await setup();
    const upload = await call(app, 'POST', `/v1/organizations/${org.id}/imports/upload-url`, {
      token: admin.token,
      json: { kind: 'caregivers', filename: '../roster march.csv' },
    });
    assert.equal(upload.status, 200);
    assert.match(upload.body.key, new RegExp(`^imports/${org.id}/caregivers/[0-9a-f-]+/roster_march\\.csv$`));
    // No checksum of an empty body signed into the URL: real S3 would refuse the file (lib/aws.ts).
    const signed = [...new URL(upload.body.url).searchParams.keys()].map((name) => name.toLowerCase());
    assert.deepEqual(
      signed.filter((name) => name.startsWith('x-amz-checksum') || name === 'x-amz-sdk-checksum-algorithm'),
      [],
      signed.join(', '),
    );
    const put = await fetch(upload.body.url, { method: 'PUT', body: employeeCsv(2) });
    assert.equal(put.status, 200);
    const started = await call(app, 'POST', `/v1/organizations/${org.id}/imports`, {
      token: admin.token,
      json: { kind: 'caregivers', s3Key: upload.body.key },
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    await finished(started.body.workflowId);
    const imp = await call(app, 'GET', `/v1/organizations/${org.id}/imports/${started.body.id}`, {
      token: admin.token,
    });
    assert.equal(imp.body.status, 'succeeded');
    assert.equal(imp.body.counts.inserted, 2);

    const other = await createOrganization();
    for (const s3Key of [
      `imports/${other.id}/x.csv`,
      `employees-list/${other.id}/x.csv`,
      'x.csv',
      `imports/${org.id}/../x.csv`,
    ]) {
      const denied = await call(app, 'POST', `/v1/organizations/${org.id}/imports`, {
        token: admin.token,
        json: { kind: 'employees', s3Key },
      });
      assert.equal(denied.status, 403, s3Key);
    }
  });

  it('a key that does not exist: the import fails with the reason', async () => {
    const { org, admin } = await setup();
    const started = await call(app, 'POST', `/v1/organizations/${org.id}/imports`, {
      token: admin.token,
      json: { kind: 'employees', s3Key: `employees-list/${org.id}/missing.csv` },
    });
    assert.equal(started.status, 202);
    await finished(started.body.workflowId);
    const imp = await call(app, 'GET', `/v1/organizations/${org.id}/imports/${started.body.id}`, {
      token: admin.token,
    });
    assert.equal(imp.body.status, 'failed');
    assert.match(imp.body.failureReason, /No object/);
    const cancel = await call(app, 'POST', `/v1/organizations/${org.id}/imports/${started.body.id}/cancel`, {
      token: admin.token,
    });
    assert.equal(cancel.status, 409);
  });

  it('answers 404 for another organization’s import, 403 for members, 415/422 for bad requests', async () => {
    const { org, admin } = await setup();
    const other = await setup();
    const started = await call(app, 'POST', `/v1/organizations/${org.id}/imports?kind=employees`, {
      token: admin.token,
      body: employeeCsv(1),
      headers: { 'content-type': 'text/csv' },
    });
    await finished(started.body.workflowId);
    for (const path of ['', '/errors', '/errors.csv']) {
      const foreign = await call(
        app,
        'GET',
        `/v1/organizations/${other.org.id}/imports/${started.body.id}${path}`,
        {
          token: other.admin.token,
        },
      );
      assert.equal(foreign.status, 404, path);
    }
    const member = await createMember(org.id, 'member');
    const denied = await call(app, 'GET', `/v1/organizations/${org.id}/imports`, { token: member.token });
    assert.equal(denied.status, 403);
    const plain = await call(app, 'POST', `/v1/organizations/${org.id}/imports?kind=employees`, {
      token: admin.token,
      body: 'a,b',
      headers: { 'content-type': 'text/plain' },
    });
    assert.equal(plain.status, 415);
    const noKind = await call(app, 'POST', `/v1/organizations/${org.id}/imports`, {
      token: admin.token,
      body: 'a,b',
      headers: { 'content-type': 'text/csv' },
    });
    assert.equal(noKind.status, 422);
    assert.equal(noKind.body.errors[0].path, 'query.kind');
  });

  it('S3 events: secret required, drops imported with mode=replace, a redelivered event starts nothing new', async () => {
    const { org, admin } = await setup();
    const key = `employees-list/${org.id}/roster 2026-11.csv`;
    const etag = await putObject(key, employeeCsv(3));
    const event = {
      Records: [
        {
          eventName: 'ObjectCreated:Put',
          s3: {
            bucket: { name: stack().config.AWS_S3_BUCKET_NAME },
            object: {
              key: encodeURIComponent(key).replaceAll('%2F', '/').replaceAll('%20', '+'),
              eTag: etag?.replaceAll('"', ''),
            },
          },
        },
        {
          eventName: 'ObjectCreated:Put',
          s3: {
            bucket: { name: stack().config.AWS_S3_BUCKET_NAME },
            object: { key: 'elsewhere/file.csv', eTag: 'x' },
          },
        },
      ],
    };
    const unauthorized = await call(app, 'POST', '/v1/webhooks/s3', {
      json: event,
      headers: { 'x-webhook-secret': 'wrong-secret' },
    });
    assert.equal(unauthorized.status, 401);
    const headers = { 'x-webhook-secret': stack().config.WEBHOOK_SECRET };
    const first = await call(app, 'POST', '/v1/webhooks/s3', { json: event, headers });
    assert.equal(first.status, 202);
    assert.equal(first.body.imports.length, 1);
    assert.equal(first.body.imports[0].created, true);
    assert.equal(first.body.imports[0].key, key);
    assert.deepEqual(
      first.body.ignored.map((i: any) => i.key),
      ['elsewhere/file.csv'],
    );
    const again = await call(app, 'POST', '/v1/webhooks/s3', { json: event, headers });
    assert.equal(again.body.imports[0].id, first.body.imports[0].id);
    assert.equal(again.body.imports[0].created, false);
    await finished(first.body.imports[0].workflowId);
    const late = await call(app, 'POST', '/v1/webhooks/s3', { json: event, headers });
    assert.equal(late.body.imports[0].created, false);
    const [count] = await stack().sequelize.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM roster_imports WHERE organization_id = $1',
      { bind: [org.id], type: QueryTypes.SELECT },
    );
    assert.equal(count?.n, 1);
    const imp = await call(app, 'GET', `/v1/organizations/${org.id}/imports/${first.body.imports[0].id}`, {
      token: admin.token,
    });
    assert.deepEqual([imp.body.status, imp.body.mode, imp.body.counts.inserted], ['succeeded', 'replace', 3]);
    const history = await stack().temporal.workflow.getHandle(first.body.imports[0].workflowId).describe();
    assert.equal(history.status.name, 'COMPLETED');
  });

  it('S3 events: a drop for an organization being deleted or deleted is ignored with its reason, no import recorded (docs/spec.md §12)', async () => {
    const headers = { 'x-webhook-secret': stack().config.WEBHOOK_SECRET };
    for (const status of ['deprovisioning', 'deleted'] as const) {
      const { org } = await setup();
      const key = `employees-list/${org.id}/late-${status}.csv`;
      const etag = await putObject(key, employeeCsv(2));
      await setOrganizationState(org.id, { status });
      const response = await call(app, 'POST', '/v1/webhooks/s3', {
        headers,
        json: {
          Records: [
            {
              eventName: 'ObjectCreated:Put',
              s3: {
                bucket: { name: stack().config.AWS_S3_BUCKET_NAME },
                object: { key, eTag: etag?.replaceAll('"', '') },
              },
            },
          ],
        },
      });
      // One event holds records of several organizations: the others still import, so no 409 here.
      assert.equal(response.status, 202, JSON.stringify(response.body));
      assert.deepEqual(response.body.imports, []);
      assert.deepEqual(response.body.ignored, [
        { key, reason: `organization ${org.id} does not exist or is being deleted` },
      ]);
      const [count] = await stack().sequelize.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM roster_imports WHERE organization_id = $1',
        { bind: [org.id], type: QueryTypes.SELECT },
      );
      assert.equal(count?.n, 0);
    }
  });
});
