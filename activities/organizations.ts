import {
  markOrganizationActive,
  markOrganizationDeleted,
  markOrganizationDeprovisioning,
  markOrganizationFailed,
  replaceOrganizationLogo,
} from '../db/organization-store';
import type { ActivityDeps } from './deps';

/**
 * The organization row as the lifecycle workflow finds the world. Every update is conditional, so a
 * late step never overwrites a newer intent the API recorded (a later subdomain, a deletion).
 */
export function createOrganizationActivities({ sequelize, logger }: ActivityDeps) {
  return {
    /**
     * DNS for `subdomain` is in sync: the organization is active, unless the API has meanwhile
     * recorded another subdomain (a queued change will finish it) or a deletion.
     */
    async markOrganizationActive(input: { organizationId: string; subdomain: string }): Promise<boolean> {
      return markOrganizationActive(sequelize, input.organizationId, input.subdomain);
    },

    /** A (retried) deprovisioning is under way; the API may have shown `provisioning` for the retry. */
    async markOrganizationDeprovisioning(input: { organizationId: string }): Promise<void> {
      await markOrganizationDeprovisioning(sequelize, input.organizationId);
    },

    async markOrganizationFailed(input: {
      organizationId: string;
      reason: string;
      dnsFailed: boolean;
    }): Promise<void> {
      await markOrganizationFailed(sequelize, input.organizationId, input);
      logger.warn({ organizationId: input.organizationId }, 'organization change failed');
    },

    async markOrganizationDeleted(input: { organizationId: string }): Promise<void> {
      await markOrganizationDeleted(sequelize, input.organizationId);
    },

    /** Makes `logo` (or no logo) current and returns the key it replaced, whose object may now go. */
    async commitOrganizationLogo(input: {
      organizationId: string;
      logo: { key: string; url: string } | null;
    }): Promise<{ previousKey: string | null }> {
      return { previousKey: await replaceOrganizationLogo(sequelize, input.organizationId, input.logo) };
    },
  };
}
