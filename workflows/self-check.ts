import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index';

const { checkDatabase, checkObjectStorage } = proxyActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: { maximumAttempts: 3, initialInterval: '1 second' },
});

export interface SelfCheckResult {
  migrations: number;
  buckets: string[];
}

/** Proves a worker polls the task queue and reaches Postgres and S3; `npm run dev` waits for it. */
export async function workerSelfCheck(): Promise<SelfCheckResult> {
  const { migrations } = await checkDatabase();
  const { buckets } = await checkObjectStorage();
  return { migrations, buckets };
}
