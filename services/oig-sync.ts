import { type Client, ScheduleNotFoundError, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { Sequelize } from 'sequelize';
import { recordAudit } from '../db/audit-store';
import { countExclusions, findLastCheck, findLastImport, type OigCheckRow } from '../db/exclusion-list-store';
import { type ListState, listState } from '../domain/list-state';
import type { Config } from '../lib/config';
import type { Logger } from '../lib/logger';
import {
  OIG_SCHEDULE_ID,
  OIG_SYNC_WORKFLOW_TYPE,
  type OigSyncInput,
  oigManualSyncWorkflowId,
} from '../lib/workflow-contracts';

/** How long the status waits for the Schedule before answering without the next run. */
const SCHEDULE_DESCRIBE_TIMEOUT_MS = 3_000;

export interface OigStatus {
  /** docs/spec.md §8: never, fresh, stale or failed. */
  state: ListState;
  lastCheck: OigCheckRow | null;
  lastImport: OigCheckRow | null;
  rowCount: number;
  nextScheduledRunAt: Date | null;
  /** Null when the Schedule does not exist (no worker started yet) or Temporal is down. */
  schedule: { id: string; paused: boolean } | null;
}

/** The last check, the last import, the list's size and the Schedule's next run, read at once. */
export async function readOigStatus(deps: {
  config: Pick<Config, 'EXCLUSION_SOURCE_STALE_AFTER'>;
  sequelize: Sequelize;
  temporal: Client;
  logger: Logger;
}): Promise<OigStatus> {
  const { config, sequelize, temporal, logger } = deps;
  const describeSchedule = async () => {
    try {
      return await temporal.schedule.getHandle(OIG_SCHEDULE_ID).describe();
    } catch (error) {
      if (error instanceof ScheduleNotFoundError) return null;
      throw error;
    }
  };
  const [lastCheck, lastImport, rowCount, schedule] = await Promise.all([
    findLastCheck(sequelize),
    findLastImport(sequelize),
    countExclusions(sequelize),
    Promise.race([
      describeSchedule(),
      new Promise<null>((resolve) => setTimeout(() => resolve(null), SCHEDULE_DESCRIBE_TIMEOUT_MS).unref()),
    ]).catch((error: unknown) => {
      logger.warn({ err: error }, 'could not describe the OIG schedule');
      return null;
    }),
  ]);
  const state = listState(
    {
      lastCheck: lastCheck && { status: lastCheck.status, checkedAt: new Date(lastCheck.checked_at) },
      lastImport: lastImport && { checkedAt: new Date(lastImport.checked_at) },
    },
    new Date(),
    config.EXCLUSION_SOURCE_STALE_AFTER,
  );
  return {
    state,
    lastCheck,
    lastImport,
    rowCount,
    nextScheduledRunAt: schedule?.info.nextActionTimes[0] ?? null,
    schedule: schedule ? { id: OIG_SCHEDULE_ID, paused: schedule.state.paused } : null,
  };
}

/**
 * Starts the manual sync, or joins the one already running (one workflow id for every request),
 * and audits the request.
 */
export async function requestOigSync(
  deps: { config: Config; sequelize: Sequelize; temporal: Client },
  request: { force: boolean; actorUserId: string },
): Promise<{ workflowId: string; runId: string; alreadyRunning: boolean }> {
  const { config, temporal } = deps;
  const { force } = request;
  const workflowId = oigManualSyncWorkflowId();
  const input: OigSyncInput = { trigger: 'manual', force };
  let alreadyRunning = false;
  let runId: string;
  try {
    const handle = await temporal.workflow.start(OIG_SYNC_WORKFLOW_TYPE, {
      workflowId,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      args: [input],
    });
    runId = handle.firstExecutionRunId;
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    alreadyRunning = true;
    runId = (await temporal.workflow.getHandle(workflowId).describe()).runId;
  }
  await recordAudit(deps.sequelize, {
    actorUserId: request.actorUserId,
    action: 'oig.sync.requested',
    entityType: 'oig_sync',
    entityId: null,
    organizationId: null,
    details: { force, workflowId, runId, alreadyRunning },
  });
  return { workflowId, runId, alreadyRunning };
}
