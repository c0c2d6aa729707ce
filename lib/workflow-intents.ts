/**
 * The outbox's intents (docs/spec.md §12): what a write records, in its own transaction, to start,
 * signal or cancel a workflow once Temporal answers. Plain JSON with ids only (the workflow inputs
 * of lib/workflow-contracts.ts); stored by db/workflow-outbox-store.ts, delivered by
 * services/workflow-outbox.ts. It imports nothing of the project.
 */

export type WorkflowIntent =
  /** Start a workflow; an execution already started under the id counts as delivered. */
  | {
      kind: 'start';
      workflowType: string;
      workflowId: string;
      taskQueue: string;
      args: unknown[];
      /** `use-existing`: a running execution of the id is the answer (workflowIdConflictPolicy). */
      conflict?: 'fail' | 'use-existing';
      /** `reject-duplicate`: never start the id again once an execution of it has closed. */
      reuse?: 'allow-duplicate' | 'reject-duplicate';
    }
  /** Signal the workflow, starting it with `args` when it is not running. */
  | {
      kind: 'signalWithStart';
      workflowType: string;
      workflowId: string;
      taskQueue: string;
      args: unknown[];
      signal: string;
      signalArgs: unknown[];
    }
  /** Signal a running workflow; one that has ended has nothing left to do with it. */
  | { kind: 'signal'; workflowId: string; signal: string; signalArgs: unknown[] }
  /** Request the workflow's cancellation (a real Temporal cancellation); one that ended is left alone. */
  | { kind: 'cancel'; workflowId: string };

/** What a delivered intent met: `not-running` is a signal to a workflow that has already ended. */
export type WorkflowIntentOutcome = 'delivered' | 'already-started' | 'not-running';
