import type { ActivityDeps } from './deps';
import { createEmailActivities } from './email';
import { createExclusionSourceAlertActivities } from './exclusion-source-alerts';
import { createExclusionSourceSyncActivities } from './exclusion-source-sync';
import { createInvitationActivities } from './invitations';
import { createLogoActivities } from './logos';
import { createOigActivities } from './oig';
import { createOigImportActivities } from './oig-import';
import { createOrganizationActivities } from './organizations';
import { createPasswordResetActivities } from './password-reset';
import { createRosterActivities } from './rosters';
import { createRoute53Activities } from './route53';
import { createScreeningActivities } from './screening';
import { createSelfCheckActivities } from './self-check';

/** Every activity the worker registers; each module's factory receives the same clients. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createSelfCheckActivities(deps),
    ...createOigActivities(deps),
    ...createOigImportActivities(deps),
    ...createExclusionSourceSyncActivities(deps),
    ...createExclusionSourceAlertActivities(deps),
    ...createRoute53Activities(deps),
    ...createLogoActivities(deps),
    ...createOrganizationActivities(deps),
    ...createRosterActivities(deps),
    ...createScreeningActivities(deps),
    ...createEmailActivities(deps),
    ...createInvitationActivities(deps),
    ...createPasswordResetActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
