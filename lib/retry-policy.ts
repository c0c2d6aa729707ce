/**
 * Retry policies shared by the workflows (docs/spec.md §12). It imports nothing of the project, so
 * workflows and the worker both use it.
 */

/**
 * The retry policy of activities doing idempotent database or S3 work: no attempt limit, backoff
 * doubling from 1 s and capped at one minute, so an hour of Postgres or S3 maintenance delays a
 * workflow but never fails it. Errors that are not an outage stop after
 * BOUNDED_ATTEMPTS_OF_NON_OUTAGE_ERRORS (workers/patient-retries.ts); calls to outside services
 * (SendGrid, Route 53, the OIG site) keep their own bounded, classified policies.
 */
export const PATIENT_RETRY = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '1 minute',
} as const;

/** Attempts after which an error that is not an outage is no longer retried. */
export const BOUNDED_ATTEMPTS_OF_NON_OUTAGE_ERRORS = 8;
