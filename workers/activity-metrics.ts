import { ApplicationFailure, CancelledFailure, type MetricMeter } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';

type Outcome = 'completed' | 'failed' | 'failed_permanent' | 'cancelled';

function outcomeOf(error: unknown): Outcome {
  if (error instanceof CancelledFailure) return 'cancelled';
  if (error instanceof ApplicationFailure && error.nonRetryable) return 'failed_permanent';
  return 'failed';
}

/**
 * `ale_activity_outcomes{activity_type, outcome}` through the SDK's own metric pipeline, so it is
 * scraped from the same Prometheus endpoint as the SDK's metrics. `failed_permanent` is a
 * non-retryable ApplicationFailure (bad input), `failed` a retryable attempt.
 */
export function activityOutcomeMetrics(meter: MetricMeter): ActivityInterceptorsFactory {
  const outcomes = meter.createCounter('ale_activity_outcomes', '1', 'Activity attempts by type and outcome');
  return (ctx) => ({
    inbound: {
      async execute(input, next) {
        const activityType = ctx.info.activityType;
        try {
          const result = await next(input);
          outcomes.add(1, { activity_type: activityType, outcome: 'completed' });
          return result;
        } catch (error) {
          outcomes.add(1, { activity_type: activityType, outcome: outcomeOf(error) });
          throw error;
        }
      },
    },
  });
}
