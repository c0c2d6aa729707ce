export { exclusionScreening } from './exclusion-screening';
export { invitation } from './invitation';
export { rosterImport } from './roster-import';
export { workerSelfCheck } from './self-check';
