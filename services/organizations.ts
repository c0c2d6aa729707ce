import { randomUUID } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { Client } from '@temporalio/client';
import type { Sequelize } from 'sequelize';
import { recordAudit } from '../db/audit-store';
import {
  findOrganization,
  markOrganizationRetrying,
  type OrganizationRow,
  type OrganizationStatus,
  recordOrganizationDeletion,
  recordSubdomainChange,
  renameOrganization,
  withInsertedOrganization,
  withLockedOrganization,
} from '../db/organization-store';
import type { Db } from '../db/sql';
import { withWorkflowIntents } from '../db/workflow-outbox-store';
import { ConflictError } from '../domain/errors';
import { inspectLogo } from '../domain/logo';
import { createS3Client } from '../lib/aws';
import type { Config } from '../lib/config';
import type { Logger } from '../lib/logger';
import {
  newOrganizationLifecycleInput,
  ORGANIZATION_LIFECYCLE_WORKFLOW_TYPE,
  type OrganizationChange,
  organizationChangeSignal,
  organizationWorkflowId,
} from '../lib/workflow-contracts';
import { cancelOrganizationImports } from './roster-imports';
import { deliverWorkflowIntentsOf, recordWorkflowIntent } from './workflow-outbox';

/**
 * Changes to an organization (docs/spec.md §4.1): each is recorded in Postgres first, then handed to
 * the organization's lifecycle workflow, which makes DNS and the logo bucket match it.
 */

export interface OrganizationServiceDeps {
  config: Config;
  sequelize: Sequelize;
  temporal: Client;
  logger: Logger;
}

/** A recorded change and the workflow that applies it. */
export interface OrganizationChangeAccepted {
  organization: OrganizationRow;
  workflowId: string;
}

const subdomainTaken = (subdomain: string) =>
  new ConflictError(`The subdomain "${subdomain}" is already used by another organization.`, [
    { path: 'subdomain', message: 'already taken' },
  ]);

/** Changes other than retry and delete wait until a failure is retried or the organization is gone. */
function assertAcceptsChanges(organization: OrganizationRow) {
  const refusals: Partial<Record<OrganizationStatus, string>> = {
    failed: `Its last change failed (${organization.failure_reason ?? 'no reason recorded'}); retry it first (POST …/provisioning/retry).`,
    deprovisioning: 'It is being deleted.',
    deleted: 'It has been deleted.',
  };
  const refusal = refusals[organization.status];
  if (refusal) throw new ConflictError(`The organization cannot be changed now. ${refusal}`);
}

/** What a new workflow run may assume is live: the subdomain of an organization whose DNS is in sync. */
const liveSubdomainOf = (organization: OrganizationRow) =>
  organization.dns_status === 'in_sync' ? organization.subdomain : null;

const audited = (actorUserId: string, organizationId: string) => ({
  actorUserId,
  entityType: 'organization',
  entityId: organizationId,
  organizationId,
});

export function createOrganizationService({ config, sequelize, temporal, logger }: OrganizationServiceDeps) {
  const s3 = createS3Client(config);

  /**
   * Records, in the transaction `tx` of the change, its hand-over to the organization's workflow
   * (signalWithStart: started if it is not running). `liveSubdomain` is what a new run may assume is
   * in DNS (the subdomain before this change). The outbox delivers it (docs/spec.md §12), in order
   * with the organization's earlier changes, also when Temporal is down now.
   */
  async function recordLifecycleSignal(
    tx: Db,
    organizationId: string,
    change: OrganizationChange,
    liveSubdomain: string | null,
  ): Promise<void> {
    const workflowId = organizationWorkflowId(organizationId);
    await recordWorkflowIntent(tx, workflowId, {
      kind: 'signalWithStart',
      workflowType: ORGANIZATION_LIFECYCLE_WORKFLOW_TYPE,
      workflowId,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      args: [newOrganizationLifecycleInput(organizationId, liveSubdomain)],
      signal: organizationChangeSignal.name,
      signalArgs: [change],
    });
  }

  /** Delivers the organization's waiting changes now if Temporal answers; answers with its state. */
  async function handedOver(organizationId: string): Promise<OrganizationChangeAccepted> {
    const workflowId = organizationWorkflowId(organizationId);
    await deliverWorkflowIntentsOf({ sequelize, temporal, config, logger }, workflowId);
    return accepted(organizationId, workflowId);
  }

  async function current(organizationId: string): Promise<OrganizationRow> {
    const organization = await findOrganization(sequelize, organizationId);
    if (!organization) throw new Error(`Organization ${organizationId} vanished.`);
    return organization;
  }

  async function accepted(organizationId: string, workflowId: string): Promise<OrganizationChangeAccepted> {
    return { organization: await current(organizationId), workflowId };
  }

  return {
    /** Records a new organization and starts provisioning its subdomain. */
    async createOrganization(
      actorUserId: string,
      input: { name: string; subdomain: string },
    ): Promise<OrganizationChangeAccepted> {
      const { subdomain } = input;
      const organization = await withInsertedOrganization(
        sequelize,
        { ...input, status: 'provisioning', dns_status: 'pending' },
        async (created, tx) => {
          await recordAudit(tx, {
            ...audited(actorUserId, created.id),
            action: 'organization.create',
            details: { subdomain },
          });
          await recordLifecycleSignal(tx, created.id, { kind: 'ensureSubdomain', subdomain }, null);
        },
      );
      if (!organization) throw subdomainTaken(subdomain);
      return handedOver(organization.id);
    },

    /**
     * Renames the organization and/or records a new subdomain. `workflowId` is null when only the
     * name changed (nothing for the workflow to do).
     */
    async updateOrganization(
      actorUserId: string,
      organizationId: string,
      input: { name?: string; subdomain?: string },
    ): Promise<{ organization: OrganizationRow; workflowId: string | null }> {
      const { name, subdomain } = input;
      const previous = await withLockedOrganization(sequelize, organizationId, async (organization, tx) => {
        const subdomainChanges = subdomain !== undefined && subdomain !== organization.subdomain;
        if (organization.status === 'deleted' || subdomainChanges) assertAcceptsChanges(organization);
        const audit = audited(actorUserId, organizationId);
        if (name !== undefined && name !== organization.name) {
          await recordAudit(tx, {
            ...audit,
            action: 'organization.rename',
            details: { from: organization.name, to: name },
          });
          await renameOrganization(tx, organizationId, name);
        }
        if (subdomainChanges) {
          await recordAudit(tx, {
            ...audit,
            action: 'organization.subdomain_change',
            details: { from: organization.subdomain, to: subdomain },
          });
          if (!(await recordSubdomainChange(tx, organizationId, subdomain))) throw subdomainTaken(subdomain);
          await recordLifecycleSignal(
            tx,
            organizationId,
            { kind: 'ensureSubdomain', subdomain },
            liveSubdomainOf(organization),
          );
        }
        return organization;
      });
      if (subdomain === undefined || subdomain === previous.subdomain) {
        return { organization: await current(organizationId), workflowId: null };
      }
      return handedOver(organizationId);
    },

    /**
     * Checks the uploaded logo (a LogoRejectedError says why it is refused), stages it in
     * AWS_S3_BUCKET_NAME and hands it to the workflow, which normalizes and publishes it.
     */
    async stageLogo(
      actorUserId: string,
      organization: OrganizationRow,
      bytes: Uint8Array,
    ): Promise<OrganizationChangeAccepted> {
      assertAcceptsChanges(organization);
      const info = await inspectLogo(bytes);
      const stagedKey = `${config.AWS_S3_KEY_PREFIX}logo-uploads/${organization.id}/${randomUUID()}`;
      await s3.send(new PutObjectCommand({ Bucket: config.AWS_S3_BUCKET_NAME, Key: stagedKey, Body: bytes }));
      await withWorkflowIntents(sequelize, async (tx) => {
        await recordAudit(tx, {
          ...audited(actorUserId, organization.id),
          action: 'organization.logo_change',
          details: { format: info.format, width: info.width, height: info.height, bytes: bytes.length },
        });
        await recordLifecycleSignal(
          tx,
          organization.id,
          { kind: 'setLogo', stagedKey },
          liveSubdomainOf(organization),
        );
      });
      return handedOver(organization.id);
    },

    async removeLogo(
      actorUserId: string,
      organization: OrganizationRow,
    ): Promise<OrganizationChangeAccepted> {
      assertAcceptsChanges(organization);
      await withWorkflowIntents(sequelize, async (tx) => {
        await recordAudit(tx, {
          ...audited(actorUserId, organization.id),
          action: 'organization.logo_remove',
        });
        await recordLifecycleSignal(
          tx,
          organization.id,
          { kind: 'removeLogo' },
          liveSubdomainOf(organization),
        );
      });
      return handedOver(organization.id);
    },

    /** Re-applies the change that left the organization failed. */
    async retryProvisioning(
      actorUserId: string,
      organizationId: string,
    ): Promise<OrganizationChangeAccepted> {
      await withLockedOrganization(sequelize, organizationId, async (locked, tx) => {
        if (locked.status !== 'failed') {
          throw new ConflictError(`Only a failed organization can be retried; this one is ${locked.status}.`);
        }
        await recordAudit(tx, {
          ...audited(actorUserId, organizationId),
          action: 'organization.retry',
          details: { failureReason: locked.failure_reason },
        });
        await markOrganizationRetrying(tx, organizationId);
        await recordLifecycleSignal(
          tx,
          organizationId,
          { kind: 'retry', subdomain: locked.subdomain },
          liveSubdomainOf(locked),
        );
      });
      return handedOver(organizationId);
    },

    /** Deprovisions the organization; a deletion already under way is answered with its workflow. */
    async deleteOrganization(
      actorUserId: string,
      organizationId: string,
    ): Promise<OrganizationChangeAccepted> {
      const deletion = await withLockedOrganization(sequelize, organizationId, async (locked, tx) => {
        if (locked.status === 'deleted') throw new ConflictError('The organization is already deleted.');
        if (locked.status === 'deprovisioning') return null;
        await recordAudit(tx, {
          ...audited(actorUserId, organizationId),
          action: 'organization.delete',
          details: { subdomain: locked.subdomain },
        });
        await recordOrganizationDeletion(tx, organizationId);
        await recordLifecycleSignal(
          tx,
          organizationId,
          { kind: 'deprovision', subdomain: locked.subdomain },
          liveSubdomainOf(locked),
        );
        return { importKeys: await cancelOrganizationImports(tx, { organizationId, actorUserId }) };
      });
      if (!deletion) return accepted(organizationId, organizationWorkflowId(organizationId));
      for (const key of deletion.importKeys) {
        await deliverWorkflowIntentsOf({ sequelize, temporal, config, logger }, key);
      }
      return handedOver(organizationId);
    },
  };
}

export type OrganizationService = ReturnType<typeof createOrganizationService>;
