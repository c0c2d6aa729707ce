import { isUuid } from '../lib/uuid';
import type { ScreeningScope } from '../lib/workflow-contracts';

/** Upper bound for an explicit list of people: bigger sets are screened by organization or import. */
export const MAX_SCREENING_EMPLOYEE_IDS = 10_000;

/** Why a screening scope cannot be run, or null when it is valid. Ids only, so safe to report. */
export function screeningScopeProblem(scope: ScreeningScope): string | null {
  const ids: [string, unknown][] = [];
  switch (scope?.kind) {
    case 'employees':
      if (!Array.isArray(scope.employeeIds)) return 'employeeIds must be a list of employee ids';
      if (scope.employeeIds.length > MAX_SCREENING_EMPLOYEE_IDS) {
        return `employeeIds holds ${scope.employeeIds.length} ids; at most ${MAX_SCREENING_EMPLOYEE_IDS}`;
      }
      ids.push(['organizationId', scope.organizationId]);
      for (const id of scope.employeeIds) ids.push(['employeeIds', id]);
      break;
    case 'import':
      ids.push(['organizationId', scope.organizationId], ['importId', scope.importId]);
      break;
    case 'organization':
      if (scope.trigger !== undefined && scope.trigger !== 'monthly')
        return 'trigger must be monthly or absent';
      ids.push(['organizationId', scope.organizationId]);
      break;
    case 'oig-import':
      ids.push(['checkId', scope.checkId]);
      break;
    case 'source-import':
      if (typeof scope.sourceId !== 'string' || !/^[a-z_]{1,40}$/.test(scope.sourceId)) {
        return 'sourceId must be an exclusion source id';
      }
      ids.push(['checkId', scope.checkId]);
      break;
    case 'all':
      break;
    default:
      return `unknown screening scope kind ${JSON.stringify((scope as { kind?: unknown })?.kind)}`;
  }
  const invalid = ids.find(([, value]) => !isUuid(value));
  return invalid ? `${invalid[0]} must hold uuids` : null;
}
