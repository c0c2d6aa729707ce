export { workerSelfCheck } from './self-check';
