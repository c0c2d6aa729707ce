export { exclusionScreening } from './exclusion-screening';
export { exclusionSourceSync } from './exclusion-source-sync';
export { exclusionSourceWatch } from './exclusion-source-watch';
export { invitation } from './invitation';
export { oigSync } from './oig-sync';
export { organizationLifecycle } from './organization-lifecycle';
export { rosterImport } from './roster-import';
export { workerSelfCheck } from './self-check';
