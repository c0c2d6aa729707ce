import { QueryTypes } from 'sequelize';
import type { ActivityDeps } from './deps';

/**
 * The organization row as the lifecycle workflow finds the world. Every update is conditional, so a
 * late step never overwrites a newer intent the API recorded (a later subdomain, a deletion).
 */
export function createOrganizationActivities({ sequelize, logger }: ActivityDeps) {
  const update = async (sql: string, replacements: Record<string, unknown>) => {
    const rows = await sequelize.query(`${sql} RETURNING id`, { replacements, type: QueryTypes.SELECT });
    return rows.length > 0;
  };

  return {
    /**
     * DNS for `subdomain` is in sync: the organization is active, unless the API has meanwhile
     * recorded another subdomain (a queued change will finish it) or a deletion.
     */
    async markOrganizationActive(input: { organizationId: string; subdomain: string }): Promise<boolean> {
      return update(
        `UPDATE organizations SET status = 'active', dns_status = 'in_sync', failure_reason = NULL, updated_at = now()
         WHERE id = :organizationId AND subdomain = :subdomain AND status IN ('provisioning','active','failed')`,
        input,
      );
    },

    /** A (retried) deprovisioning is under way; the API may have shown `provisioning` for the retry. */
    async markOrganizationDeprovisioning(input: { organizationId: string }): Promise<void> {
      await update(
        `UPDATE organizations SET status = 'deprovisioning', updated_at = now()
         WHERE id = :organizationId AND status <> 'deleted'`,
        input,
      );
    },

    async markOrganizationFailed(input: {
      organizationId: string;
      reason: string;
      dnsFailed: boolean;
    }): Promise<void> {
      await update(
        `UPDATE organizations SET status = 'failed', failure_reason = :reason, updated_at = now(),
           dns_status = CASE WHEN :dnsFailed THEN 'failed' ELSE dns_status END
         WHERE id = :organizationId AND status <> 'deleted'`,
        input,
      );
      logger.warn({ organizationId: input.organizationId }, 'organization change failed');
    },

    async markOrganizationDeleted(input: { organizationId: string }): Promise<void> {
      await update(
        `UPDATE organizations SET status = 'deleted', dns_status = 'pending', failure_reason = NULL,
           logo_key = NULL, logo_url = NULL, updated_at = now()
         WHERE id = :organizationId`,
        input,
      );
    },

    /** Makes `logo` (or no logo) current and returns the key it replaced, whose object may now go. */
    async commitOrganizationLogo(input: {
      organizationId: string;
      logo: { key: string; url: string } | null;
    }): Promise<{ previousKey: string | null }> {
      const rows = await sequelize.query<{ previous_key: string | null }>(
        `UPDATE organizations o SET logo_key = :key, logo_url = :url, updated_at = now()
         FROM (SELECT id, logo_key FROM organizations WHERE id = :organizationId FOR UPDATE) previous
         WHERE o.id = previous.id
         RETURNING previous.logo_key AS previous_key`,
        {
          replacements: {
            organizationId: input.organizationId,
            key: input.logo?.key ?? null,
            url: input.logo?.url ?? null,
          },
          type: QueryTypes.SELECT,
        },
      );
      return { previousKey: rows[0]?.previous_key ?? null };
    },
  };
}
