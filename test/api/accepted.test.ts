import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  oigManualSyncWorkflowId,
  organizationWorkflowId,
  rosterImportWorkflowId,
} from '../../lib/workflow-contracts';
import { createMember, createOrganization, createUser } from '../support/fixtures';
import { call, type JsonResponse } from '../support/http';
import { stack } from '../support/stack';
import { freshSubdomain } from '../workflows/organization-support';
import { employeeCsv, putObject } from '../workflows/roster-import-support';

// No worker polls these task queues: the answers are under test, not the work.
const appOnFreshQueue = () => stack().createApp({ TEMPORAL_TASK_QUEUE: `accepted-${randomUUID()}` });
const uiLink = (workflowId: string) =>
  `${stack().config.TEMPORAL_UI_URL}/namespaces/${stack().config.TEMPORAL_NAMESPACE}/workflows/${encodeURIComponent(workflowId)}`;

/** A 202 that says where to look: Location is links.self, and links.temporalUi is its workflow. */
function assertAccepted(response: JsonResponse, self: string) {
  assert.equal(response.status, 202, JSON.stringify(response.body));
  assert.equal(response.headers.get('location'), self);
  assert.equal(response.body.links.self, self);
  assert.equal(response.body.links.temporalUi, uiLink(response.body.workflowId));
}

describe('202 answers: Location and links (api/accepted.ts)', () => {
  it('organizations, imports, employees, invitations, rescreens and the OIG sync', async () => {
    const app = appOnFreshQueue();
    const platformAdmin = await createUser({ platformAdmin: true });
    const created = await call(app, 'POST', '/v1/organizations', {
      token: platformAdmin.token,
      json: { name: 'Accepted Agency', subdomain: freshSubdomain() },
    });
    assertAccepted(created, `/v1/organizations/${created.body.id}`);

    const org = await createOrganization();
    const admin = await createMember(org.id, 'admin');
    const orgPath = `/v1/organizations/${org.id}`;
    const upload = await call(app, 'POST', `${orgPath}/imports?kind=employees`, {
      token: admin.token,
      body: employeeCsv(2),
      headers: { 'content-type': 'text/csv' },
    });
    assertAccepted(upload, `${orgPath}/imports/${upload.body.id}`);
    const cancel = await call(app, 'POST', `${orgPath}/imports/${upload.body.id}/cancel`, {
      token: admin.token,
    });
    assertAccepted(cancel, `${orgPath}/imports/${upload.body.id}`);

    const employee = await call(app, 'POST', `${orgPath}/employees`, {
      token: admin.token,
      json: { kind: 'employee', externalId: 'A1', firstName: 'Ann', lastName: 'Lee' },
    });
    assertAccepted(employee, `${orgPath}/employees/${employee.body.id}`);

    const invitation = await call(app, 'POST', `${orgPath}/invitations`, {
      token: admin.token,
      json: { email: `a-${randomUUID()}@example.test`, role: 'member' },
    });
    assertAccepted(invitation, `${orgPath}/invitations/${invitation.body.id}`);

    const rescreen = await call(app, 'POST', `${orgPath}/exclusion-screenings`, { token: admin.token });
    assert.equal(rescreen.status, 202);
    assertAccepted(rescreen, rescreen.body.links.self);

    const manualSync = stack().temporal.workflow.getHandle(oigManualSyncWorkflowId());
    try {
      const sync = await call(app, 'POST', '/v1/oig/sync', { token: platformAdmin.token });
      assertAccepted(sync, '/v1/oig/status');
    } finally {
      await manualSync.terminate('test cleanup').catch(() => {});
    }
  });

  it('the S3 webhook links each import it started, and Location names the first', async () => {
    const app = appOnFreshQueue();
    const org = await createOrganization();
    const key = `employees-list/${org.id}/roster.csv`;
    const etag = await putObject(key, employeeCsv(1));
    const event = {
      Records: [
        {
          eventName: 'ObjectCreated:Put',
          s3: {
            bucket: { name: stack().config.AWS_S3_BUCKET_NAME },
            object: { key, eTag: etag?.replaceAll('"', '') },
          },
        },
      ],
    };
    const response = await call(app, 'POST', '/v1/webhooks/s3', {
      json: event,
      headers: { 'x-webhook-secret': stack().config.WEBHOOK_SECRET },
    });
    assert.equal(response.status, 202);
    const [started] = response.body.imports;
    const self = `/v1/organizations/${org.id}/imports/${started.id}`;
    assert.equal(response.headers.get('location'), self);
    assert.deepEqual(started.links, { self, temporalUi: uiLink(rosterImportWorkflowId(started.id)) });
  });

  it('GET of an organization and of an import carries status, progress and links.temporalUi', async () => {
    const app = appOnFreshQueue();
    const org = await createOrganization();
    const admin = await createMember(org.id, 'admin');
    const orgPath = `/v1/organizations/${org.id}`;
    const shown = await call(app, 'GET', orgPath, { token: admin.token });
    assert.deepEqual([shown.body.status, shown.body.dnsStatus], ['active', 'in_sync']);
    assert.deepEqual(shown.body.links, { self: orgPath, temporalUi: uiLink(organizationWorkflowId(org.id)) });
    const listed = await call(app, 'GET', '/v1/organizations?limit=100', { token: admin.token });
    assert.deepEqual(
      listed.body.items.find((item: { id: string }) => item.id === org.id)?.links,
      shown.body.links,
    );

    const upload = await call(app, 'POST', `${orgPath}/imports?kind=employees`, {
      token: admin.token,
      body: employeeCsv(2),
      headers: { 'content-type': 'text/csv' },
    });
    const importPath = `${orgPath}/imports/${upload.body.id}`;
    const imp = await call(app, 'GET', importPath, { token: admin.token });
    assert.equal(imp.status, 200);
    assert.equal(imp.body.status, 'queued');
    assert.equal(imp.body.rowsProcessed, 0);
    assert.deepEqual(imp.body.links, {
      self: importPath,
      temporalUi: uiLink(rosterImportWorkflowId(upload.body.id)),
      errors: `${importPath}/errors`,
    });
    assert.equal((await call(app, 'GET', imp.body.links.errors, { token: admin.token })).status, 200);
  });

  // docs/spec.md §11: a password-reset request answers the same 202 whether or not the address has an
  // account, so it can name no resource to follow; every other 202 starts work a client can watch.
  const WITHOUT_RESOURCE = ['POST /v1/auth/password-reset'];

  it('every documented 202 declares Location', async () => {
    const document = (await call(stack().createApp(), 'GET', '/openapi.json')).body;
    const without: string[] = [];
    let accepted = 0;
    for (const [route, item] of Object.entries(document.paths as Record<string, Record<string, any>>)) {
      for (const [method, operation] of Object.entries(item)) {
        const response = operation.responses?.['202'];
        if (!response) continue;
        accepted++;
        const operationName = `${method.toUpperCase()} ${route}`;
        if (!response.headers?.Location && !WITHOUT_RESOURCE.includes(operationName))
          without.push(operationName);
      }
    }
    assert.ok(accepted >= 15, `${accepted} operations answer 202`);
    assert.deepEqual(without, []);
  });

  it('every 202 in a handler is built by api/accepted.ts', () => {
    const routes = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../api/routes');
    const built: string[] = [];
    for (const folder of fs.readdirSync(routes)) {
      const file = path.join(routes, folder, 'handlers.ts');
      if (!fs.existsSync(file)) continue;
      const count = fs.readFileSync(file, 'utf8').match(/\b202\b/g)?.length ?? 0;
      if (count > 0) built.push(`api/routes/${folder}/handlers.ts: ${count}`);
    }
    // The auth handlers answer the one 202 without a resource (WITHOUT_RESOURCE) themselves.
    assert.deepEqual(
      built,
      ['api/routes/auth/handlers.ts: 1'],
      'these build a 202 instead of calling accepted()',
    );
  });
});
