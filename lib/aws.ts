import { Route53Client } from '@aws-sdk/client-route-53';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Config } from './config';

type AwsConfig = Pick<Config, 'AWS_REGION' | 'AWS_ENDPOINT_URL'>;
type S3Config = AwsConfig & Pick<Config, 'AWS_S3_CONNECT_TIMEOUT_MS' | 'AWS_S3_SOCKET_TIMEOUT_MS'>;

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

/**
 * S3 that hangs (a stopped host, a half-open connection) must fail an attempt, not stall it: the SDK
 * has no socket timeout by default, so a GetObject body whose sender stopped would be read forever
 * and an import would stay `running` (docs/spec.md §12). The socket timeout also covers a body in the
 * middle of its stream; the error (`TimeoutError`) is an outage (lib/outage-errors.ts), retried by
 * the activity, which resumes after its last committed batch.
 */
export function createS3Client(config: S3Config): S3Client {
  return new S3Client(s3ClientOptions(config));
}

function s3ClientOptions(config: S3Config) {
  return {
    region: config.AWS_REGION,
    forcePathStyle: Boolean(config.AWS_ENDPOINT_URL),
    requestHandler: {
      connectionTimeout: config.AWS_S3_CONNECT_TIMEOUT_MS,
      socketTimeout: config.AWS_S3_SOCKET_TIMEOUT_MS,
    },
    ...endpointOverrides(config),
  };
}

/**
 * The client that presigns PUT URLs for someone else's upload. With the SDK's default checksums
 * (WHEN_SUPPORTED) a presigned PutObject carries `x-amz-checksum-crc32` of an empty body, and real
 * S3 refuses any file PUT to it (aws/aws-sdk-js-v3#6994); the uploader's own client checks its bytes.
 */
export function createPresigningS3Client(config: S3Config): S3Client {
  return new S3Client({ ...s3ClientOptions(config), requestChecksumCalculation: 'WHEN_REQUIRED' });
}

/** How long a connection may take, and a socket may stay silent, before the request fails. */
export interface AwsTimeouts {
  connectionMs: number;
  socketMs: number;
}

/**
 * Route 53 and SQS get the same guard as S3 (the SDK sets none): a hung endpoint fails the call —
 * an activity attempt is retried, the S3 event consumer logs and polls again — instead of waiting
 * for ever. SQS's long poll keeps its socket silent for up to 20 s (services/s3-event-queue.ts), so
 * its socket timeout leaves room above that.
 */
const ROUTE53_TIMEOUTS: AwsTimeouts = { connectionMs: 5_000, socketMs: 30_000 };
const SQS_TIMEOUTS: AwsTimeouts = { connectionMs: 5_000, socketMs: 30_000 };

const requestHandler = (timeouts: AwsTimeouts) => ({
  connectionTimeout: timeouts.connectionMs,
  socketTimeout: timeouts.socketMs,
});

export function createRoute53Client(config: AwsConfig, timeouts = ROUTE53_TIMEOUTS): Route53Client {
  return new Route53Client({
    region: config.AWS_REGION,
    requestHandler: requestHandler(timeouts),
    ...endpointOverrides(config),
  });
}

export function createSqsClient(config: AwsConfig, timeouts = SQS_TIMEOUTS): SQSClient {
  return new SQSClient({
    region: config.AWS_REGION,
    requestHandler: requestHandler(timeouts),
    ...endpointOverrides(config),
  });
}
