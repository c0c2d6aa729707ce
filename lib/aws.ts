import { Route53Client } from '@aws-sdk/client-route-53';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Config } from './config';

type AwsConfig = Pick<Config, 'AWS_REGION' | 'AWS_ENDPOINT_URL'>;

// moto accepts any credentials; real AWS uses the default credential chain.
function endpointOverrides(config: AwsConfig) {
  if (!config.AWS_ENDPOINT_URL) return {};
  return {
    endpoint: config.AWS_ENDPOINT_URL,
    credentials: {
      accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'test',
      secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'test',
    },
  };
}

export function createS3Client(config: AwsConfig): S3Client {
  return new S3Client({
    region: config.AWS_REGION,
    forcePathStyle: Boolean(config.AWS_ENDPOINT_URL),
    ...endpointOverrides(config),
  });
}

export function createRoute53Client(config: AwsConfig): Route53Client {
  return new Route53Client({ region: config.AWS_REGION, ...endpointOverrides(config) });
}

export function createSqsClient(config: AwsConfig): SQSClient {
  return new SQSClient({ region: config.AWS_REGION, ...endpointOverrides(config) });
}
