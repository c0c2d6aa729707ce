export { exclusionScreening } from './exclusion-screening';
export { invitation } from './invitation';
export { monthlyScreening } from './monthly-screening';
export { oigSync } from './oig-sync';
export { organizationLifecycle } from './organization-lifecycle';
export { rosterImport } from './roster-import';
export { workerSelfCheck } from './self-check';
