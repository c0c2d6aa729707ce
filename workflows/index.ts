export { exclusionScreening } from './exclusion-screening';
export { rosterImport } from './roster-import';
export { workerSelfCheck } from './self-check';
