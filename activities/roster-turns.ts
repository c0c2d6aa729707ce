import { ApplicationFailure } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import { rosterImportsAhead } from '../db/roster-import-store';
import { rosterImportWorkflowId } from '../lib/workflow-contracts';
import type { ActivityDeps } from './deps';

/**
 * docs/spec.md §4.2: imports of one organization and kind run one at a time, in arrival order; a
 * later one waits `queued`. The workflow asks `rosterImportTurn` until it answers `go`.
 */
export function createRosterTurnActivities({
  sequelize,
  temporal,
}: Pick<ActivityDeps, 'sequelize' | 'temporal'>) {
  /** Whether the import's workflow is still running: a row left open by a workflow that ended does not block. */
  async function stillRunning(importId: string, workflowId: string | null): Promise<boolean> {
    try {
      const description = await temporal.workflow
        .getHandle(workflowId ?? rosterImportWorkflowId(importId))
        .describe();
      return description.status.name === 'RUNNING';
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return false;
      throw error;
    }
  }

  return {
    /**
     * `go` when no earlier import of the organization and kind is still open (a dry run, which
     * writes no roster rows, never waits); `wait` otherwise; `cancelled` when a cancel was
     * requested while it waited.
     */
    async rosterImportTurn(importId: string): Promise<'go' | 'wait' | 'cancelled'> {
      const turn = await rosterImportsAhead(sequelize, importId);
      if (!turn)
        throw ApplicationFailure.nonRetryable(`Import ${importId} does not exist.`, 'ImportNotFound');
      if (turn.cancelRequested) return 'cancelled';
      if (turn.dryRun) return 'go';
      for (const earlier of turn.ahead) {
        if (await stillRunning(earlier.id, earlier.workflowId)) return 'wait';
      }
      return 'go';
    },
  };
}
