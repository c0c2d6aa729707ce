import { ApplicationFailure } from '@temporalio/activity';
import type { SourceFileFacts } from '../lib/exclusion-source-contract';

/**
 * A list sync's failure carrying what is known of the file (its sha256, archive key, …), so the
 * workflow's `failed` check records it (docs/spec.md §8). Shared by every list's import activity.
 */
export function withFacts(error: unknown, facts: Partial<SourceFileFacts>): ApplicationFailure {
  if (error instanceof ApplicationFailure) {
    return ApplicationFailure.create({
      message: error.message,
      type: error.type ?? undefined,
      nonRetryable: error.nonRetryable ?? undefined,
      details: [facts],
      cause: error.cause,
    });
  }
  const cause = error as Error;
  return ApplicationFailure.create({
    message: cause?.message ?? String(error),
    type: cause?.name ?? 'Error',
    details: [facts],
    cause,
  });
}
