import type { ActivityDeps } from './deps';
import { createEmailActivities } from './email';
import { createInvitationActivities } from './invitations';
import { createRosterActivities } from './rosters';
import { createScreeningActivities } from './screening';
import { createSelfCheckActivities } from './self-check';

/** Every activity the worker registers; each module's factory receives the same clients. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createSelfCheckActivities(deps),
    ...createRosterActivities(deps),
    ...createScreeningActivities(deps),
    ...createEmailActivities(deps),
    ...createInvitationActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
