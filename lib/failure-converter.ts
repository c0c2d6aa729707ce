import { DefaultFailureConverter } from '@temporalio/common';

/**
 * Failure messages and stack traces go into an encoded payload, so the codec encrypts them too:
 * a validation message quoting a roster row never sits in history in clear (docs/spec.md §7).
 * Loaded by path (client, worker and the workflow bundle all need it).
 */
export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
