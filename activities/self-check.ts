import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { ApplicationFailure } from '@temporalio/activity';
import { countAppliedMigrations } from '../db/health-store';
import type { ActivityDeps } from './deps';

/** Probes what a worker needs, from the worker's side of the network. */
export function createSelfCheckActivities({ sequelize, s3, config }: ActivityDeps) {
  return {
    async checkDatabase(): Promise<{ migrations: number }> {
      const migrations = await countAppliedMigrations(sequelize);
      if (migrations === 0) {
        throw ApplicationFailure.nonRetryable(
          'The database has no migrations applied: run npm run migrate.',
          'NotMigrated',
        );
      }
      return { migrations };
    },
    async checkObjectStorage(): Promise<{ buckets: string[] }> {
      const buckets = [config.AWS_S3_BUCKET_NAME, config.AWS_S3_LOGOS_BUCKET_NAME];
      for (const bucket of buckets) {
        try {
          await s3.send(new HeadBucketCommand({ Bucket: bucket }));
        } catch (error) {
          throw ApplicationFailure.nonRetryable(
            `Bucket ${bucket} is not reachable (${(error as Error).name}); create it or fix AWS_* settings.`,
            'BucketUnavailable',
          );
        }
      }
      return { buckets };
    },
  };
}
