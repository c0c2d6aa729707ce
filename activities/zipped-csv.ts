import type { Readable } from 'node:stream';

/**
 * The one CSV inside a list's ZIP, as a stream (docs/spec.md §8). Placeholder until the adapter
 * layer's ZIP reader lands (branch source-adapters): a ZIP source fails non-retryably meanwhile.
 */
export async function openZippedCsv(_file: string, _options: { maxCsvBytes: number }): Promise<Readable> {
  const { ApplicationFailure } = await import('@temporalio/activity');
  throw ApplicationFailure.nonRetryable(
    'reading ZIP lists is not available yet',
    'ExclusionSourceZipUnsupported',
  );
}
