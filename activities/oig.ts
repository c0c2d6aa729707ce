import { Context } from '@temporalio/activity';
import { dropStagingTables, findOigBaseline, insertCheck } from '../db/exclusion-list-store';
import { parseOigPageUpdateDate } from '../domain/leie';
import type { OigBaseline, OigCheckRecord, OigPage } from '../lib/workflow-contracts';
import type { ActivityDeps } from './deps';
import { fetchOigPage, PAGE_TOO_LARGE } from './oig-download';

/** Written on every check of the generated sample, so no one takes it for the HHS-OIG list. */
export const SAMPLE_DATA_WARNING =
  'SAMPLE DATA (SAMPLE_DATA=true, npm run dev -- --sample-data): a generated list, not the HHS-OIG LEIE.';

export function createOigActivities({ config, sequelize, logger }: ActivityDeps) {
  const log = logger.child({ component: 'oig-sync' });

  return {
    /** The "last update" date on OIG_WEBPAGE_URL; a page without a readable date is a warning, not an error. */
    async readOigPage(): Promise<OigPage> {
      const html = await fetchOigPage(config.OIG_WEBPAGE_URL);
      if (html === null) return { sourceUpdatedOn: null, warning: PAGE_TOO_LARGE };
      const parsed = parseOigPageUpdateDate(html);
      if ('problem' in parsed) {
        log.warn({ problem: parsed.problem }, 'OIG page date not readable');
        return { sourceUpdatedOn: null, warning: parsed.problem };
      }
      if (config.SAMPLE_DATA) {
        log.warn({ sourceUpdatedOn: parsed.date }, SAMPLE_DATA_WARNING);
        return { sourceUpdatedOn: parsed.date, warning: SAMPLE_DATA_WARNING };
      }
      return { sourceUpdatedOn: parsed.date, warning: null };
    },

    async findOigBaseline(): Promise<OigBaseline | null> {
      return findOigBaseline(sequelize);
    },

    /** An `unchanged` or `failed` check (idempotent: the check id is the workflow's). */
    async recordOigCheck(record: OigCheckRecord & { status: 'unchanged' | 'failed' }): Promise<void> {
      await insertCheck(sequelize, { ...record, rowCount: null });
    },

    /** See dropStagingTables: a no-op for syncs of the one-pass import, kept for their command sequence. */
    async dropOigStaging(): Promise<void> {
      const workflowId = Context.current().info.workflowExecution?.workflowId ?? 'standalone';
      await dropStagingTables(sequelize, workflowId);
    },
  };
}
