export { exclusionScreening } from './exclusion-screening';
export { workerSelfCheck } from './self-check';
