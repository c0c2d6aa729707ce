import { randomUUID } from 'node:crypto';
import { type Client, ScheduleNotFoundError } from '@temporalio/client';
import type { Sequelize } from 'sequelize';
import { recordAudit } from '../db/audit-store';
import {
  countExclusions,
  findLastCheck,
  findLastImport,
  listChecks,
  type OigCheckRow,
} from '../db/exclusion-list-store';
import {
  countSourceRecords,
  findLastSourceCheck,
  findLastSourceImport,
  listSourceChecks,
  type SourceCheckRow,
} from '../db/exclusion-source-store';
import { withWorkflowIntents } from '../db/workflow-outbox-store';
import { ConflictError, NotFoundError } from '../domain/errors';
import { EXCLUSION_SOURCE_NAMES, notConfiguredReason } from '../domain/exclusion-sources/settings';
import { EXCLUSION_SOURCE_IDS, type ExclusionSourceId } from '../domain/exclusion-sources/source';
import { type ListState, listState } from '../domain/list-state';
import type { Config } from '../lib/config';
import {
  EXCLUSION_SOURCE_SYNC_WORKFLOW_TYPE,
  type ExclusionSourceSyncInput,
  exclusionSourceScheduleId,
  exclusionSourceSyncWorkflowId,
} from '../lib/exclusion-source-contract';
import type { Logger } from '../lib/logger';
import { OIG_SCHEDULE_ID } from '../lib/workflow-contracts';
import { deliverWorkflowIntentsOf, recordWorkflowIntent } from './workflow-outbox';

/** How long the status waits for a Schedule before answering without the next run. */
const SCHEDULE_DESCRIBE_TIMEOUT_MS = 3_000;
/** How long `POST …/sync` waits for the run id of the sync it started before answering without it. */
const RUN_ID_DEADLINE_MS = 2_000;

export type SourceState = ListState | 'not_configured';

/** A check of any source in one shape: the `oig_exclusions_check` columns plus `source`. */
export interface SourceCheck {
  id: string;
  source: string;
  checkedAt: string;
  trigger: 'schedule' | 'manual';
  sourceUpdatedOn: string | null;
  etag: string | null;
  lastModified: string | null;
  sha256: string | null;
  status: 'unchanged' | 'imported' | 'failed';
  rowCount: number | null;
  added: number | null;
  removed: number | null;
  /** LEIE: dates that were not valid (the row kept). */
  invalidFields: number | null;
  /** Other lists: rows the adapter could not read (rejected and counted, the file kept). */
  rejectedRows: number | null;
  durationMs: number | null;
  archiveKey: string | null;
  warning: string | null;
  error: string | null;
  workflowId: string | null;
}

export interface SourceStatus {
  id: ExclusionSourceId;
  name: string;
  enabled: boolean;
  state: SourceState;
  /** Why the source is `not_configured`; null otherwise. */
  notConfiguredReason: string | null;
  lastCheck: SourceCheck | null;
  lastImport: SourceCheck | null;
  sourceUpdatedOn: string | null;
  rowCount: number;
  nextScheduledRunAt: string | null;
  scheduleId: string;
}

export interface SourceDeps {
  config: Config;
  sequelize: Sequelize;
  temporal: Client;
  logger: Logger;
}

export function isSourceId(id: string): id is ExclusionSourceId {
  return (EXCLUSION_SOURCE_IDS as readonly string[]).includes(id);
}

function sourceIdOrNotFound(id: string): ExclusionSourceId {
  if (!isSourceId(id)) {
    const shown = id.length > 40 ? `${id.slice(0, 40)}…` : id;
    throw new NotFoundError(
      `No exclusion source "${shown}"; the sources are ${EXCLUSION_SOURCE_IDS.join(', ')}.`,
    );
  }
  return id;
}

const iso = (value: Date | string) => new Date(value).toISOString();

/** A check row of either store in one shape: the LEIE's (oig_exclusions_check) or another list's. */
export function sourceCheck(row: OigCheckRow | SourceCheckRow): SourceCheck {
  return {
    id: row.id,
    source: 'source' in row ? row.source : 'leie',
    checkedAt: iso(row.checked_at),
    trigger: row.trigger,
    sourceUpdatedOn: row.source_updated_on,
    etag: row.etag,
    lastModified: row.last_modified,
    sha256: row.sha256,
    status: row.status,
    rowCount: row.row_count,
    added: row.added,
    removed: row.removed,
    invalidFields: 'invalid_fields' in row ? row.invalid_fields : null,
    rejectedRows: 'rejected_rows' in row ? row.rejected_rows : null,
    durationMs: row.duration_ms,
    archiveKey: row.archive_key,
    warning: row.warning,
    error: row.error,
    workflowId: row.workflow_id,
  };
}

/** The Schedule's description, or null when it does not exist, Temporal is down or slow to answer. */
async function describeSchedule(deps: Pick<SourceDeps, 'temporal' | 'logger'>, scheduleId: string) {
  const describe = async () => {
    try {
      return await deps.temporal.schedule.getHandle(scheduleId).describe();
    } catch (error) {
      if (error instanceof ScheduleNotFoundError) return null;
      throw error;
    }
  };
  return Promise.race([
    describe(),
    new Promise<null>((resolve) => setTimeout(() => resolve(null), SCHEDULE_DESCRIBE_TIMEOUT_MS).unref()),
  ]).catch((error: unknown) => {
    deps.logger.warn({ err: error, scheduleId }, 'could not describe an exclusion-source schedule');
    return null;
  });
}

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

/** The LEIE (`/v1/oig/status`): the last check, the last import, the list's size and the Schedule's next run. */
export async function readOigStatus(
  deps: Pick<SourceDeps, 'sequelize' | 'temporal' | 'logger'> & {
    config: Pick<Config, 'EXCLUSION_SOURCE_STALE_AFTER'>;
  },
): Promise<OigStatus> {
  const { config, sequelize } = deps;
  const [lastCheck, lastImport, rowCount, schedule] = await Promise.all([
    findLastCheck(sequelize),
    findLastImport(sequelize),
    countExclusions(sequelize),
    describeSchedule(deps, OIG_SCHEDULE_ID),
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

/** One source's state, last check and import, size and next run (docs/spec.md §8). */
export async function readSourceStatus(deps: SourceDeps, sourceId: string): Promise<SourceStatus> {
  const id = sourceIdOrNotFound(sourceId);
  const { config, sequelize } = deps;
  const enabled = config.EXCLUSION_SOURCES.includes(id);
  const unconfigured = notConfiguredReason(config, id);
  const base = { id, name: EXCLUSION_SOURCE_NAMES[id], enabled, notConfiguredReason: unconfigured };
  if (id === 'leie') {
    const oig = await readOigStatus(deps);
    const lastImport = oig.lastImport ? sourceCheck(oig.lastImport) : null;
    return {
      ...base,
      state: oig.state,
      lastCheck: oig.lastCheck ? sourceCheck(oig.lastCheck) : null,
      lastImport,
      sourceUpdatedOn: lastImport?.sourceUpdatedOn ?? null,
      rowCount: oig.rowCount,
      nextScheduledRunAt: oig.nextScheduledRunAt ? oig.nextScheduledRunAt.toISOString() : null,
      scheduleId: OIG_SCHEDULE_ID,
    };
  }
  const scheduleId = exclusionSourceScheduleId(id);
  const [lastCheck, lastImport, rowCount, next] = await Promise.all([
    findLastSourceCheck(sequelize, id),
    findLastSourceImport(sequelize, id),
    countSourceRecords(sequelize, id),
    unconfigured || !enabled ? Promise.resolve(null) : describeSchedule(deps, scheduleId),
  ]);
  const state: SourceState = unconfigured
    ? 'not_configured'
    : listState(
        {
          lastCheck: lastCheck && { status: lastCheck.status, checkedAt: new Date(lastCheck.checked_at) },
          lastImport: lastImport && { checkedAt: new Date(lastImport.checked_at) },
        },
        new Date(),
        config.EXCLUSION_SOURCE_STALE_AFTER,
      );
  return {
    ...base,
    state,
    lastCheck: lastCheck ? sourceCheck(lastCheck) : null,
    lastImport: lastImport ? sourceCheck(lastImport) : null,
    sourceUpdatedOn: lastImport?.source_updated_on ?? null,
    rowCount,
    nextScheduledRunAt: next?.info.nextActionTimes[0]?.toISOString() ?? null,
    scheduleId,
  };
}

export async function readAllSourceStatuses(deps: SourceDeps): Promise<SourceStatus[]> {
  return Promise.all(EXCLUSION_SOURCE_IDS.map((id) => readSourceStatus(deps, id)));
}

/** A page of a source's checks, newest first. */
export async function listSourceCheckPage(
  deps: Pick<SourceDeps, 'sequelize'>,
  sourceId: string,
  limit: number,
  after: readonly [string, string] | undefined,
): Promise<SourceCheck[]> {
  const id = sourceIdOrNotFound(sourceId);
  if (id === 'leie') return (await listChecks(deps.sequelize, limit, after)).map(sourceCheck);
  return (await listSourceChecks(deps.sequelize, id, limit, after)).map(sourceCheck);
}

/**
 * Requests a manual sync of the source: the start of `exclusionSourceSync` (the LEIE too) is recorded
 * in the outbox in the transaction that audits the request, then delivered at once when Temporal
 * answers — a sync already running under the source's one manual id is joined — and otherwise by the
 * relay once it is back (docs/spec.md §12: nothing is lost while a dependency is down; `runId` is
 * then null). A source not enabled or not configured is a ConflictError: there is nothing to sync it
 * from, or nobody screens against it; `/v1/oig/sync` syncs the LEIE whatever EXCLUSION_SOURCES says,
 * as it always did (`anyway`).
 */
export async function requestSourceSync(
  deps: SourceDeps,
  request: { sourceId: string; force: boolean; actorUserId: string; anyway?: boolean },
): Promise<{
  sourceId: ExclusionSourceId;
  workflowId: string;
  runId: string | null;
  alreadyRunning: boolean;
}> {
  const id = sourceIdOrNotFound(request.sourceId);
  const { config, sequelize, temporal, logger } = deps;
  const { force } = request;
  if (!request.anyway) {
    if (!config.EXCLUSION_SOURCES.includes(id)) {
      throw new ConflictError(`The exclusion source ${id} is not enabled (EXCLUSION_SOURCES).`);
    }
    const unconfigured = notConfiguredReason(config, id);
    if (unconfigured)
      throw new ConflictError(`The exclusion source ${id} is not configured: ${unconfigured}.`);
  }

  const workflowId = exclusionSourceSyncWorkflowId(id, 'manual');
  const input: ExclusionSourceSyncInput = { sourceId: id, trigger: 'manual', force };
  // Each request its own outbox entity: requests need no order among themselves (the first start
  // wins, the others join it), and each learns what became of its own start.
  const entityKey = `${workflowId}/${randomUUID()}`;
  const intentId = await withWorkflowIntents(sequelize, async (tx) => {
    await recordAudit(tx, {
      actorUserId: request.actorUserId,
      ...(id === 'leie'
        ? { action: 'oig.sync.requested', entityType: 'oig_sync' }
        : { action: 'exclusion_source.sync.requested', entityType: 'exclusion_source' }),
      entityId: null,
      organizationId: null,
      details: { source: id, force, workflowId },
    });
    return recordWorkflowIntent(tx, entityKey, {
      kind: 'start',
      workflowType: EXCLUSION_SOURCE_SYNC_WORKFLOW_TYPE,
      workflowId,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      args: [input],
    });
  });
  const outcome = (await deliverWorkflowIntentsOf({ sequelize, temporal, config, logger }, entityKey)).get(
    intentId,
  );
  let runId: string | null = null;
  if (outcome) {
    // The answer waits at most a moment for the run id: the sync is started either way.
    runId = await temporal
      .withDeadline(Date.now() + RUN_ID_DEADLINE_MS, () => temporal.workflow.getHandle(workflowId).describe())
      .then(
        (description) => description.runId,
        (error: unknown) => {
          logger.warn({ err: error, workflowId }, 'could not describe the sync just started');
          return null;
        },
      );
  }
  return { sourceId: id, workflowId, runId, alreadyRunning: outcome === 'already-started' };
}
