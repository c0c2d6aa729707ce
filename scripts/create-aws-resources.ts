/**
 * Creates the S3 buckets and the Route 53 hosted zone for BASE_DOMAIN if missing (moto or a fresh
 * account) and prints the zone id — docker-compose exports it as ROUTE53_HOSTED_ZONE_ID.
 */
import { loadConfigOrExit } from '../lib/config';
import { ensureAwsResources } from './stack/aws-resources';

const { hostedZoneId } = await ensureAwsResources(loadConfigOrExit());
console.log(hostedZoneId);
