import type { Readable } from 'node:stream';
import { ApplicationFailure } from '@temporalio/activity';

/**
 * The one CSV inside a list's ZIP (docs/spec.md §8). Placeholder with the adapter layer's signature
 * until its ZIP reader lands (branch source-adapters): a ZIP source fails non-retryably meanwhile.
 */
export async function openZippedCsv(
  _zip: Buffer,
  _options: { label: string; maxUncompressedBytes?: number },
): Promise<{ name: string; bytes: number; stream: Readable }> {
  throw ApplicationFailure.nonRetryable('reading ZIP lists is not available yet', 'ExclusionSourceZipUnsupported');
}
