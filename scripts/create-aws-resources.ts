/**
 * Creates the S3 buckets, the Route 53 hosted zone for BASE_DOMAIN and the S3 events queue (the
 * uploads bucket notifies it of created objects) if missing (moto or a fresh account) and prints the
 * zone id — docker-compose exports it as ROUTE53_HOSTED_ZONE_ID. The queue URL, for
 * S3_EVENTS_QUEUE_URL, goes to stderr so stdout stays the zone id alone.
 */
import { loadConfigOrExit } from '../lib/config';
import { ensureAwsResources } from './stack/aws-resources';

const { hostedZoneId, s3EventsQueueUrl } = await ensureAwsResources(loadConfigOrExit());
console.error(`S3_EVENTS_QUEUE_URL=${s3EventsQueueUrl}`);
console.log(hostedZoneId);
