/**
 * Workflow ids, signals, queries and updates shared by the API, the worker and tests.
 * Ids derive from the business key so a repeated request cannot start a second copy.
 */

export const selfCheckWorkflowId = (checkId: string) => `self-check/${checkId}`;
