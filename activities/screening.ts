import { Context } from '@temporalio/activity';
import { findLastImport } from '../db/exclusion-list-store';
import { findLastSourceImport } from '../db/exclusion-source-store';
import { listActiveOrganizationIds } from '../db/organization-store';
import { scopeOrganizationId } from '../db/screening-match-sql';
import { finishScreeningRun, recordScreeningRunStart } from '../db/screening-run-store';
import {
  FIRST_EMPLOYEE_ID,
  markAlerted,
  nextChunk,
  organizationsToAlert,
  pendingAlert,
  resolveLapsedMatches,
  screenAddedExclusions,
  screenChunk,
} from '../db/screening-store';
import { NO_LIST_LOADED } from '../domain/list-state';
import { screeningTriggerOf } from '../lib/monthly-screening-contract';
import type { ScreeningRunStarted, ScreeningRunStatus, ScreeningScope } from '../lib/workflow-contracts';
import type { ActivityDeps } from './deps';

/**
 * Employees per statement: big enough to amortize the unnesting of every list's names (each statement
 * does it anew), small enough to heartbeat often.
 */
export const DEFAULT_SCREENING_CHUNK_SIZE = 50_000;

/** Progress of `screenEmployees`, heartbeated after every committed chunk and read back on a retry. */
export interface ScreeningProgress {
  after: string;
  chunks: number;
  opened: number;
  matched: number;
  resolved: number;
}

export interface ExclusionAlert {
  organizationName: string;
  /** Where admins review the open matches, on the organization's own host. */
  reviewUrl: string;
  matchIds: string[];
  recipients: string[];
}

export function createScreeningActivities({ config, sequelize, logger }: ActivityDeps) {
  /** The list in force of every enabled source (docs/spec.md §8, §10): the check it was imported by. */
  async function listVersionsInForce(): Promise<Record<string, string>> {
    const listVersions: Record<string, string> = {};
    for (const source of config.EXCLUSION_SOURCES) {
      const lastImport =
        source === 'leie' ? await findLastImport(sequelize) : await findLastSourceImport(sequelize, source);
      if (lastImport) listVersions[source] = lastImport.id;
    }
    return listVersions;
  }

  return {
    /**
     * Records this workflow execution's screening run (docs/spec.md §10) with the list version it
     * screens against; without a loaded list the run will be `incomplete`, never a silent "clear".
     */
    async startScreeningRun(scope: ScreeningScope): Promise<ScreeningRunStarted> {
      const execution = Context.current().info.workflowExecution;
      if (!execution) throw new Error('startScreeningRun runs inside a screening workflow only');
      const { workflowId, runId } = execution;
      const listVersions = await listVersionsInForce();
      const loaded = Object.keys(listVersions).length > 0;
      const id = await recordScreeningRunStart(sequelize, {
        workflowId,
        workflowRunId: runId,
        organizationId: scopeOrganizationId(scope),
        trigger: screeningTriggerOf(scope),
        scope,
        listVersions,
      });
      if (!loaded) logger.warn({ screeningRunId: id, kind: scope.kind }, NO_LIST_LOADED);
      return { runId: id, incompleteReason: loaded ? null : NO_LIST_LOADED };
    },

    async finishScreeningRun(outcome: {
      runId: string;
      status: Exclude<ScreeningRunStatus, 'running'>;
      error: string | null;
      matchesOpened: number | null;
      matchesResolved: number | null;
    }): Promise<void> {
      const { runId, ...rest } = outcome;
      await finishScreeningRun(sequelize, { id: runId, ...rest });
    },

    /** Resolves matches whose exclusion left the list or was reinstated; returns how many. */
    async resolveLapsedExclusionMatches(scope: ScreeningScope): Promise<number> {
      return resolveLapsedMatches(sequelize, scope, config.EXCLUSION_SOURCES);
    },

    /**
     * Screens the scope's active employees chunk by chunk (employee id ranges). Each chunk is one
     * idempotent statement; after it commits the activity heartbeats its progress, and a retried
     * attempt resumes after the last heartbeated chunk.
     */
    async screenEmployees(input: { scope: ScreeningScope; chunkSize?: number }): Promise<ScreeningProgress> {
      const context = Context.current();
      const resumed = context.info.heartbeatDetails as ScreeningProgress | undefined;
      const progress: ScreeningProgress = resumed ?? {
        after: FIRST_EMPLOYEE_ID,
        chunks: 0,
        opened: 0,
        matched: 0,
        resolved: 0,
      };
      if (resumed) logger.info({ kind: input.scope.kind, chunks: resumed.chunks }, 'screening resumed');
      if ((input.scope.kind === 'oig-import' || input.scope.kind === 'source-import') && !resumed) {
        // A usual import adds a few hundred keys: they probe the roster's indexes in one statement.
        const counts = await screenAddedExclusions(sequelize, input.scope, config.EXCLUSION_SOURCES);
        if (counts) return { ...progress, chunks: 1, ...counts };
      }
      const size = input.chunkSize ?? DEFAULT_SCREENING_CHUNK_SIZE;
      // Only a comparison against a loaded list makes a person screened (db/last-screened-store.ts).
      const markScreened = Object.keys(await listVersionsInForce()).length > 0;
      for (;;) {
        if (context.cancellationSignal.aborted) throw context.cancellationSignal.reason;
        const chunk = await nextChunk(sequelize, input.scope, progress.after, size);
        if (!chunk) break;
        const counts = await screenChunk(sequelize, input.scope, chunk, config.EXCLUSION_SOURCES, {
          markScreened,
        });
        progress.chunks += 1;
        progress.opened += counts.opened;
        progress.matched += counts.matched;
        progress.resolved += counts.resolved;
        if (chunk.upto === null) break;
        progress.after = chunk.upto;
        context.heartbeat(progress);
      }
      return progress;
    },

    async listOrganizationsToAlert(scope: ScreeningScope): Promise<string[]> {
      return organizationsToAlert(sequelize, scope);
    },

    /** What to tell one organization's admins: ids only plus the organization's name and link. */
    async prepareExclusionAlert(organizationId: string): Promise<ExclusionAlert | null> {
      const pending = await pendingAlert(sequelize, organizationId);
      if (!pending || pending.matchIds.length === 0) return null;
      return {
        organizationName: pending.organizationName,
        reviewUrl: `https://${pending.subdomain}.${config.BASE_DOMAIN}/exclusion-matches?status=open`,
        matchIds: pending.matchIds,
        recipients: pending.recipients,
      };
    },

    async markExclusionMatchesAlerted(matchIds: string[]): Promise<number> {
      return markAlerted(sequelize, matchIds);
    },

    /** The next `limit` active organizations after `after`, by id: the monthly rescreen's worklist. */
    async listActiveOrganizationIds(input: { after: string | null; limit: number }): Promise<string[]> {
      return listActiveOrganizationIds(sequelize, input.after, input.limit);
    },
  };
}
