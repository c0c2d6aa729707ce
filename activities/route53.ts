import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  ListResourceRecordSetsCommand,
  type ResourceRecordSet,
} from '@aws-sdk/client-route-53';
import { ApplicationFailure } from '@temporalio/activity';
import { isSubdomainClaimedByAnother } from '../db/organization-store';
import { organizationHostname } from '../domain/subdomain';
import type { ActivityDeps } from './deps';

export const SUBDOMAIN_RECORD_TTL = 300;

// Route 53 answers throttling with 400 "Throttling" and a change in progress with
// "PriorRequestNotComplete": both go away by themselves, like any 5xx or network error.
const TRANSIENT_ERRORS = new Set([
  'Throttling',
  'ThrottlingException',
  'PriorRequestNotComplete',
  'ServiceUnavailable',
  'InternalFailure',
  'InternalError',
  'RequestTimeout',
]);

interface AwsError extends Error {
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
}

/**
 * Transient errors are rethrown as they are (the activity retry policy backs off); anything else
 * Route 53 refused (InvalidChangeBatch, NoSuchHostedZone, InvalidInput…) will not get better by
 * retrying and becomes a non-retryable failure whose type is the Route 53 error name.
 */
export function classifyRoute53Error(error: unknown, doing: string): Error {
  const awsError = error as AwsError;
  const status = awsError.$metadata?.httpStatusCode;
  const transient =
    TRANSIENT_ERRORS.has(awsError.name) ||
    awsError.$fault === 'server' ||
    status === undefined ||
    status >= 500;
  if (transient) return awsError;
  return ApplicationFailure.nonRetryable(
    `Route 53 refused to ${doing} (${awsError.name}): ${awsError.message}`,
    awsError.name || 'Route53Error',
  );
}

/** DNS record adapter: one Route 53 call per activity, its error classification, its log line. */
export function createRoute53Activities({ route53, config, logger, sequelize }: ActivityDeps) {
  const hostedZoneId = () => {
    if (!config.ROUTE53_HOSTED_ZONE_ID) {
      throw ApplicationFailure.nonRetryable(
        'ROUTE53_HOSTED_ZONE_ID is not set, so no DNS record can be written.',
        'HostedZoneNotConfigured',
      );
    }
    return config.ROUTE53_HOSTED_ZONE_ID;
  };
  const fqdn = (subdomain: string) => `${organizationHostname(subdomain, config.BASE_DOMAIN)}.`;

  async function readSubdomainRecord(subdomain: string): Promise<ResourceRecordSet | undefined> {
    const name = fqdn(subdomain);
    try {
      const page = await route53.send(
        new ListResourceRecordSetsCommand({
          HostedZoneId: hostedZoneId(),
          StartRecordName: name,
          StartRecordType: 'CNAME',
          MaxItems: 1,
        }),
      );
      return page.ResourceRecordSets?.find((record) => record.Name === name && record.Type === 'CNAME');
    } catch (error) {
      throw classifyRoute53Error(error, `read the record ${name}`);
    }
  }

  return {
    /** UPSERT `<subdomain>.<BASE_DOMAIN>` CNAME → the CloudFront distribution; returns the change to wait for. */
    async upsertSubdomainRecord(subdomain: string): Promise<{ changeId: string }> {
      const name = fqdn(subdomain);
      try {
        const result = await route53.send(
          new ChangeResourceRecordSetsCommand({
            HostedZoneId: hostedZoneId(),
            ChangeBatch: {
              Comment: `ALE organization subdomain ${subdomain}`,
              Changes: [
                {
                  Action: 'UPSERT',
                  ResourceRecordSet: {
                    Name: name,
                    Type: 'CNAME',
                    TTL: SUBDOMAIN_RECORD_TTL,
                    ResourceRecords: [{ Value: config.CLOUDFRONT_DISTRIBUTION_DOMAIN }],
                  },
                },
              ],
            },
          }),
        );
        const changeId = result.ChangeInfo?.Id ?? '';
        logger.info({ subdomain, changeId }, 'dns record upserted');
        return { changeId };
      } catch (error) {
        throw classifyRoute53Error(error, `create the record ${name}`);
      }
    },

    async getDnsChangeStatus(changeId: string): Promise<'PENDING' | 'INSYNC'> {
      try {
        const result = await route53.send(new GetChangeCommand({ Id: changeId }));
        return result.ChangeInfo?.Status === 'INSYNC' ? 'INSYNC' : 'PENDING';
      } catch (error) {
        throw classifyRoute53Error(error, `report on the change ${changeId}`);
      }
    },

    /**
     * Deletes the live record of `subdomain`, read first because a DELETE must repeat its exact
     * value and TTL. Already gone is success. A name another (non-deleted) organization now holds
     * is left alone: it is theirs since the reuse.
     */
    async deleteSubdomainRecord(input: {
      subdomain: string;
      organizationId: string;
    }): Promise<{ outcome: 'deleted' | 'absent' | 'claimed'; changeId: string | null }> {
      const { subdomain, organizationId } = input;
      if (await isSubdomainClaimedByAnother(sequelize, subdomain, organizationId)) {
        return { outcome: 'claimed', changeId: null };
      }
      const record = await readSubdomainRecord(subdomain);
      if (!record) return { outcome: 'absent', changeId: null };
      try {
        const result = await route53.send(
          new ChangeResourceRecordSetsCommand({
            HostedZoneId: hostedZoneId(),
            ChangeBatch: { Changes: [{ Action: 'DELETE', ResourceRecordSet: record }] },
          }),
        );
        logger.info({ subdomain, changeId: result.ChangeInfo?.Id }, 'dns record deleted');
        return { outcome: 'deleted', changeId: result.ChangeInfo?.Id ?? null };
      } catch (error) {
        // Deleted by someone else between the read and the DELETE: the goal is reached.
        if (!(await readSubdomainRecord(subdomain))) return { outcome: 'absent', changeId: null };
        throw classifyRoute53Error(error, `delete the record ${record.Name}`);
      }
    },
  };
}
