export { exclusionScreening } from './exclusion-screening';
export { invitation } from './invitation';
export { oigSync } from './oig-sync';
export { organizationLifecycle } from './organization-lifecycle';
export { passwordResetEmail } from './password-reset';
export { rosterImport } from './roster-import';
export { workerSelfCheck } from './self-check';
