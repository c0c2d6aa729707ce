import { decodeArrayFromPayloads } from '@temporalio/common/lib/internal-non-workflow';
import { insertEmployee } from '../../db/people-store';
import type { Db } from '../../db/sql';
import { query } from '../../db/sql';
import { releaseWorkflowIntents } from '../../db/workflow-outbox-store';
import type { Config } from '../../lib/config';
import { type ScreeningScope, screeningWorkflowId } from '../../lib/workflow-contracts';
import { recordEmployeeScreening } from '../../services/screenings';
import { createMember, createOrganization } from './fixtures';
import { stack } from './stack';

/** An organization with an admin and one active person: what an organization rescreen needs. */
export async function organizationWithOnePerson(name: string) {
  const org = await createOrganization(name);
  const admin = await createMember(org.id, 'admin');
  await insertEmployee(stack().sequelize, {
    organizationId: org.id,
    kind: 'employee',
    status: 'active',
    record: { external_id: 'P-1', first_name: 'Ada', last_name: 'Rescreened' },
  });
  return {
    org,
    admin,
    workflowId: screeningWorkflowId('organization', org.id),
    path: `/v1/organizations/${org.id}/exclusion-screenings`,
  };
}

/**
 * What a person's write leaves in the outbox when its request could not deliver the screening start
 * (Temporal down, or the request died): the intent, given back for the relay.
 */
export async function recordUndeliveredScreening(
  tx: Db,
  config: Pick<Config, 'TEMPORAL_TASK_QUEUE'>,
  person: Parameters<typeof recordEmployeeScreening>[2],
): Promise<void> {
  const { recorded } = await recordEmployeeScreening(tx, config, person);
  await releaseWorkflowIntents(tx, { ids: [recorded.id], delayMs: 0, error: null });
}

/**
 * Which people each finished person-change screening of an organization held in its scope, read from
 * the executions' own start events (the outbox may have united several people's starts into one).
 */
export async function personScreenings(organizationId: string) {
  const runs = await query<{ workflow_id: string; workflow_run_id: string }>(
    stack().sequelize,
    `SELECT workflow_id, workflow_run_id FROM screening_runs
     WHERE organization_id = $organizationId AND trigger = 'person_change' AND finished_at IS NOT NULL`,
    { organizationId },
  );
  return Promise.all(
    runs.map(async (run) => {
      const history = await stack()
        .temporal.workflow.getHandle(run.workflow_id, run.workflow_run_id)
        .fetchHistory();
      const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
      const [scope] = (await decodeArrayFromPayloads(
        stack().temporal.options.loadedDataConverter,
        started?.input?.payloads,
      )) as [Extract<ScreeningScope, { kind: 'employees' }>];
      return { workflowId: run.workflow_id, employeeIds: scope.employeeIds };
    }),
  );
}

/** How many executions' scopes hold each person. */
export function timesScreened(screenings: { employeeIds: string[] }[]): Map<string, number> {
  const times = new Map<string, number>();
  for (const { employeeIds } of screenings) {
    for (const id of employeeIds) times.set(id, (times.get(id) ?? 0) + 1);
  }
  return times;
}
