import { findLastImport, listChecks } from '../db/exclusion-list-store';
import { findLastSourceImport, listSourceChecks } from '../db/exclusion-source-store';
import { platformAdminEmails } from '../db/user-store';
import { EXCLUSION_SOURCE_NAMES, notConfiguredReason } from '../domain/exclusion-sources/settings';
import type { ExclusionSourceId } from '../domain/exclusion-sources/source';
import { listState } from '../domain/list-state';
import type { ExclusionSourceAlert } from '../lib/exclusion-source-contract';
import type { ActivityDeps } from './deps';

interface CheckFacts {
  id: string;
  checked_at: Date;
  status: 'unchanged' | 'imported' | 'failed';
  error: string | null;
}

const PAGE = 100;

/**
 * Which lists platform admins must hear about (docs/spec.md §8): every enabled, configured source
 * that is `failed` or `stale`, with the check that opened the episode. The watch workflow emails
 * each admin with the episode in the idempotency key, so an episode is emailed once however often
 * the watch runs; a new failure after a success is a new episode.
 */
export function createExclusionSourceAlertActivities({ config, sequelize }: ActivityDeps) {
  const checksPage = (id: ExclusionSourceId, after: readonly [string, string] | undefined) =>
    (id === 'leie'
      ? listChecks(sequelize, PAGE, after)
      : listSourceChecks(sequelize, id, PAGE, after)) as Promise<CheckFacts[]>;

  /** The newest check, the first failure of the current run of failures, and the newest success. */
  async function episode(id: ExclusionSourceId) {
    let after: readonly [string, string] | undefined;
    let newest: CheckFacts | undefined;
    let firstFailure: CheckFacts | undefined;
    for (;;) {
      const page = await checksPage(id, after);
      newest ??= page[0];
      for (const check of page) {
        if (check.status !== 'failed') return { newest, firstFailure, lastSuccess: check };
        firstFailure = check;
      }
      const last = page.at(-1);
      if (!last || page.length < PAGE) return { newest, firstFailure, lastSuccess: undefined };
      after = [new Date(last.checked_at).toISOString(), last.id];
    }
  }

  return {
    async listExclusionSourceAlerts(): Promise<{ alerts: ExclusionSourceAlert[]; recipients: string[] }> {
      const alerts: ExclusionSourceAlert[] = [];
      for (const id of config.EXCLUSION_SOURCES) {
        if (notConfiguredReason(config, id)) continue;
        const { newest, firstFailure, lastSuccess } = await episode(id);
        const lastImport =
          id === 'leie' ? await findLastImport(sequelize) : await findLastSourceImport(sequelize, id);
        const state = listState(
          {
            lastCheck: newest ? { status: newest.status, checkedAt: new Date(newest.checked_at) } : null,
            lastImport: lastImport && { checkedAt: new Date(lastImport.checked_at) },
          },
          new Date(),
          config.EXCLUSION_SOURCE_STALE_AFTER,
        );
        const base = { sourceId: id, sourceName: EXCLUSION_SOURCE_NAMES[id] };
        if (state === 'failed' && newest && firstFailure) {
          alerts.push({
            ...base,
            state,
            episodeCheckId: firstFailure.id,
            detail: `The last check failed: ${newest.error ?? 'no reason recorded'}`,
          });
        } else if (state === 'stale' && lastSuccess) {
          const since = new Date(lastSuccess.checked_at).toISOString();
          alerts.push({
            ...base,
            state,
            episodeCheckId: lastSuccess.id,
            detail: `No check has succeeded since ${since} (EXCLUSION_SOURCE_STALE_AFTER = ${config.EXCLUSION_SOURCE_STALE_AFTER} s): is its Schedule paused, or no worker running?`,
          });
        }
      }
      return { alerts, recipients: alerts.length > 0 ? await platformAdminEmails(sequelize) : [] };
    },
  };
}
