import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { isOutageError } from '../lib/outage-errors';
import { BOUNDED_ATTEMPTS_OF_NON_OUTAGE_ERRORS } from '../lib/retry-policy';

/**
 * The other half of the workflows' PATIENT_RETRY (docs/spec.md §12): an activity with no attempt
 * limit retries an outage of Postgres or S3 for as long as it lasts, but an error that is not an
 * outage (a bug, a row the database refuses) would then retry forever. From attempt
 * BOUNDED_ATTEMPTS_OF_NON_OUTAGE_ERRORS on, such an error is made non-retryable so the workflow
 * fails with it, as it did under the old bounded policies.
 */
export function patientRetries(): ActivityInterceptorsFactory {
  return (ctx) => ({
    inbound: {
      async execute(input, next) {
        try {
          return await next(input);
        } catch (error) {
          const attempt = ctx.info.attempt;
          if (
            attempt < BOUNDED_ATTEMPTS_OF_NON_OUTAGE_ERRORS ||
            isOutageError(error) ||
            error instanceof CancelledFailure ||
            (error instanceof ApplicationFailure && error.nonRetryable)
          ) {
            throw error;
          }
          const cause = error instanceof Error ? error : new Error(String(error));
          throw ApplicationFailure.create({
            message: `${cause.message} (attempt ${attempt}; not an outage, so not retried again)`,
            type: (error instanceof ApplicationFailure ? error.type : cause.name) ?? undefined,
            nonRetryable: true,
            cause,
          });
        }
      },
    },
  });
}
