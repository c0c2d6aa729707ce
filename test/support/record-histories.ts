import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';

/** Stored as protobuf JSON objects (enum names, base64 bytes), revived with `History.fromObject`. */
export const historiesDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'histories');

const History = proto.temporal.api.history.v1.History;
const PER_TYPE = 3;
const MAX_EVENTS = 400;

/**
 * `npm run histories:record` runs the whole suite with RECORD_HISTORIES=1; at the end this saves,
 * per workflow type, the richest few finished histories the suite produced (by event count,
 * bounded), so the replay test covers the paths the tests exercise.
 */
export async function recordHistories(client: Client): Promise<string[]> {
  const candidates = new Map<string, { workflowId: string; runId: string; events: number }[]>();
  for await (const execution of client.workflow.list({
    query:
      'ExecutionStatus = "Completed" OR ExecutionStatus = "ContinuedAsNew" OR ExecutionStatus = "Failed"',
  })) {
    const events = execution.historyLength;
    if (events > MAX_EVENTS) continue;
    const list = candidates.get(execution.type) ?? [];
    list.push({ workflowId: execution.workflowId, runId: execution.runId, events });
    candidates.set(execution.type, list);
  }
  fs.rmSync(historiesDir, { recursive: true, force: true });
  fs.mkdirSync(historiesDir, { recursive: true });
  const written: string[] = [];
  for (const [type, list] of candidates) {
    const chosen = list.sort((a, b) => b.events - a.events).slice(0, PER_TYPE);
    for (const [index, { workflowId, runId }] of chosen.entries()) {
      const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
      const file = path.join(historiesDir, `${type}-${index + 1}.json`);
      const json = History.toObject(History.fromObject(history), {
        longs: String,
        enums: String,
        bytes: String,
      });
      fs.writeFileSync(file, `${JSON.stringify({ workflowId, history: json })}\n`);
      written.push(path.basename(file));
    }
  }
  return written;
}
