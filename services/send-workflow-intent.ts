import { type Client, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import type { WorkflowIntent, WorkflowIntentOutcome } from '../lib/workflow-intents';

/**
 * How the outbox (services/workflow-outbox.ts) hands one intent to Temporal, and what Temporal's
 * answer means for it (docs/architecture.md, "The outbox").
 */

/** The memo key naming the outbox row that started an execution (`sendWorkflowIntent`). */
const OUTBOX_INTENT_MEMO = 'outboxIntentId';

/**
 * One call to Temporal for `intent`, the outbox row `intentId` (the fault tests' relay that dies
 * mid-delivery calls it too). A start that waits for a running execution (conflict `wait`) names its
 * row in the execution's memo and first looks at the latest execution of its id: when an earlier
 * attempt started it and the answer was lost, running or finished, it counts as started — not as
 * one to wait for, nor as one to start again after (the rescreen would run twice).
 */
export async function sendWorkflowIntent(
  temporal: Client,
  intent: WorkflowIntent,
  intentId?: string,
): Promise<WorkflowIntentOutcome> {
  switch (intent.kind) {
    case 'start': {
      const waits = intent.conflict === 'wait' && intentId !== undefined;
      if (waits && (await latestStartedBy(temporal, intent.workflowId)) === intentId)
        return 'already-started';
      try {
        await temporal.workflow.start(intent.workflowType, {
          workflowId: intent.workflowId,
          taskQueue: intent.taskQueue,
          args: intent.args,
          memo: waits ? { [OUTBOX_INTENT_MEMO]: intentId } : undefined,
          workflowIdConflictPolicy: intent.conflict === 'use-existing' ? 'USE_EXISTING' : undefined,
          workflowIdReusePolicy: reusePolicy(intent),
        });
        return 'delivered';
      } catch (error) {
        if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
        return intent.conflict === 'wait' ? 'busy' : 'already-started';
      }
    }
    case 'signalWithStart':
      await temporal.workflow.signalWithStart(intent.workflowType, {
        workflowId: intent.workflowId,
        taskQueue: intent.taskQueue,
        args: intent.args,
        signal: intent.signal,
        signalArgs: intent.signalArgs,
      });
      return 'delivered';
    case 'signal':
      try {
        await temporal.workflow.getHandle(intent.workflowId).signal(intent.signal, ...intent.signalArgs);
        return 'delivered';
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) return 'not-running';
        throw error;
      }
    case 'cancel':
      try {
        await temporal.workflow.getHandle(intent.workflowId).cancel();
        return 'delivered';
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) return 'not-running';
        throw error;
      }
  }
}

function reusePolicy(intent: Extract<WorkflowIntent, { kind: 'start' }>) {
  switch (intent.reuse) {
    case 'reject-duplicate':
      return 'REJECT_DUPLICATE';
    case 'allow-duplicate-failed-only':
      return 'ALLOW_DUPLICATE_FAILED_ONLY';
    case 'allow-duplicate':
      return 'ALLOW_DUPLICATE';
    default:
      return intent.conflict === 'wait' ? 'ALLOW_DUPLICATE' : undefined;
  }
}

/** The outbox row named in the memo of the workflow id's latest execution, if any. */
async function latestStartedBy(temporal: Client, workflowId: string): Promise<unknown> {
  try {
    return (await temporal.workflow.getHandle(workflowId).describe()).memo?.[OUTBOX_INTENT_MEMO];
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return undefined;
    throw error;
  }
}
