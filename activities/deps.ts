import type { Route53Client } from '@aws-sdk/client-route-53';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Client } from '@temporalio/client';
import type { Sequelize } from 'sequelize';
import type { Config } from '../lib/config';
import type { Logger } from '../lib/logger';

/** Everything an activity factory may use; tests hand in clients pointed at moto and the test database. */
export interface ActivityDeps {
  config: Config;
  sequelize: Sequelize;
  s3: S3Client;
  route53: Route53Client;
  temporal: Client;
  logger: Logger;
}
