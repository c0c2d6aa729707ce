import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { classifyRoute53Error, createRoute53Activities } from '../../activities/route53';
import { createOrganization } from '../support/fixtures';
import { stack } from '../support/stack';
import { dnsRecords, freshSubdomain } from './organization-support';

const awsError = (name: string, status: number | undefined, fault: 'client' | 'server') =>
  Object.assign(new Error(`${name} happened`), {
    name,
    $fault: fault,
    $metadata: status === undefined ? {} : { httpStatusCode: status },
  });

describe('Route 53 activities (moto)', () => {
  it('leaves throttling, 5xx and network errors retryable', () => {
    for (const error of [
      awsError('Throttling', 400, 'client'),
      awsError('PriorRequestNotComplete', 400, 'client'),
      awsError('ServiceUnavailable', 503, 'server'),
      awsError('InternalError', 500, 'server'),
      Object.assign(new Error('socket hang up'), { name: 'Error' }),
    ]) {
      const classified = classifyRoute53Error(error, 'test');
      assert.equal(classified, error, error.name);
      assert.ok(!(classified instanceof ApplicationFailure));
    }
  });

  it('turns refusals into non-retryable failures typed with the Route 53 error name', () => {
    for (const name of ['InvalidChangeBatch', 'NoSuchHostedZone', 'InvalidInput']) {
      const classified = classifyRoute53Error(awsError(name, 400, 'client'), 'test');
      assert.ok(classified instanceof ApplicationFailure);
      assert.equal(classified.nonRetryable, true);
      assert.equal(classified.type, name);
    }
  });

  it('classifies a real refusal from Route 53: a record outside the hosted zone', async () => {
    const activities = createRoute53Activities(stack().activityDeps({ BASE_DOMAIN: 'not-the-zone.test' }));
    const error = await activities.upsertSubdomainRecord(freshSubdomain()).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof ApplicationFailure);
    assert.equal(error.nonRetryable, true);
    assert.ok(error.type, 'typed with the Route 53 error name');
  });

  it('deletes the live record by reading it first; already gone is success', async () => {
    const activities = createRoute53Activities(stack().activityDeps());
    const subdomain = freshSubdomain('del');
    const organizationId = '00000000-0000-4000-8000-000000000000';
    await activities.upsertSubdomainRecord(subdomain);
    assert.equal(
      await activities.getDnsChangeStatus((await activities.upsertSubdomainRecord(subdomain)).changeId),
      'INSYNC',
    );
    assert.equal((await dnsRecords(subdomain)).length, 1, 'UPSERT twice is still one record');
    assert.equal((await activities.deleteSubdomainRecord({ subdomain, organizationId })).outcome, 'deleted');
    assert.deepEqual(await dnsRecords(subdomain), []);
    assert.deepEqual(await activities.deleteSubdomainRecord({ subdomain, organizationId }), {
      outcome: 'absent',
      changeId: null,
    });
  });

  it('leaves alone a record whose name another organization holds since a reuse', async () => {
    const activities = createRoute53Activities(stack().activityDeps());
    const holder = await createOrganization();
    await activities.upsertSubdomainRecord(holder.subdomain);
    const previousOwner = '00000000-0000-4000-8000-000000000001';
    const result = await activities.deleteSubdomainRecord({
      subdomain: holder.subdomain,
      organizationId: previousOwner,
    });
    assert.equal(result.outcome, 'claimed');
    assert.equal((await dnsRecords(holder.subdomain)).length, 1);
  });
});
