import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import proto from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { AesGcmPayloadCodec } from '../../lib/payload-codec';
import { createDataConverter } from '../../lib/temporal';
import { historiesDir } from '../support/record-histories';
import { stack } from '../support/stack';

const files = fs.existsSync(historiesDir)
  ? fs.readdirSync(historiesDir).filter((f) => f.endsWith('.json'))
  : [];

describe('replay of recorded histories (determinism guard)', () => {
  it('has a recorded history for every workflow type the worker registers', () => {
    const types = new Set(files.map((file) => file.replace(/-\d+\.json$/, '')));
    for (const type of [
      'workerSelfCheck',
      'organizationLifecycle',
      'invitation',
      'rosterImport',
      'oigSync',
      'exclusionScreening',
      'monthlyScreening',
      'passwordResetEmail',
    ]) {
      assert.ok(types.has(type), `test/histories has no ${type} history: run npm run histories:record`);
    }
  });

  it('replays every history in test/histories without a non-determinism error', async function () {
    this.timeout(120_000);
    const histories = files.map((file) => {
      const { workflowId, history } = JSON.parse(fs.readFileSync(path.join(historiesDir, file), 'utf8'));
      return { workflowId, history: proto.temporal.api.history.v1.History.fromObject(history) };
    });
    const failures: string[] = [];
    for await (const result of Worker.runReplayHistories(
      { workflowBundle: stack().workflowBundle, dataConverter: createDataConverter(stack().config) },
      histories,
    )) {
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    assert.equal(histories.length, files.length);
    assert.deepEqual(failures, []);
  });
});

describe('what recorded histories hold (docs/spec.md §7)', () => {
  const histories = files.map((file) => ({
    file,
    history: proto.temporal.api.history.v1.History.fromObject(
      JSON.parse(fs.readFileSync(path.join(historiesDir, file), 'utf8')).history,
    ),
  }));

  /** Each search attribute value (a plain JSON payload) is a uuid or an enum keyword. */
  function searchAttributeValues(node: unknown, file: string) {
    const fields = (node as { indexedFields?: Record<string, { data?: Uint8Array | null }> } | null)
      ?.indexedFields;
    for (const [name, payload] of Object.entries(fields ?? {})) {
      // A Schedule adds its own (TemporalScheduledById, TemporalScheduledStartTime: a timestamp).
      if (name.startsWith('TemporalScheduled')) continue;
      const value = JSON.parse(Buffer.from(payload.data ?? []).toString());
      for (const item of Array.isArray(value) ? value : [value]) {
        assert.match(
          String(item),
          /^[A-Za-z0-9_-]{1,64}$/,
          `${file}: search attribute ${name} holds an id or enum`,
        );
      }
    }
  }

  it('every payload of every workflow type is encrypted at rest (patch markers hold only the patch id)', () => {
    for (const { file, history } of histories) {
      const payloads: { metadata?: Record<string, Uint8Array> | null; data?: Uint8Array | null }[] = [];
      const patchIds: string[] = [];
      const walk = (node: unknown) => {
        if (!node || typeof node !== 'object' || node instanceof Uint8Array) return;
        if ('metadata' in node && 'data' in node) payloads.push(node as never);
        for (const [key, value] of Object.entries(node)) {
          // Search attributes are never encrypted (§7): they must hold uuids and enums, nothing else.
          if (key === 'searchAttributes') searchAttributeValues(value, file);
          else walk(value);
        }
      };
      for (const event of history.events ?? []) {
        // patched(): the SDK writes the patch id itself, never through the payload codec.
        const marker = event.markerRecordedEventAttributes;
        const versions = event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields;
        if (marker?.markerName === 'core_patch') {
          for (const payload of marker.details?.['patch-data']?.payloads ?? []) {
            patchIds.push(JSON.parse(Buffer.from(payload.data ?? []).toString()).id);
          }
        } else if (versions && Object.keys(versions).join() === 'TemporalChangeVersion') {
          patchIds.push(...JSON.parse(Buffer.from(versions.TemporalChangeVersion?.data ?? []).toString()));
        } else walk(event);
      }
      for (const id of patchIds) assert.match(id, /^[a-z0-9-]+$/, `${file}: a patch id, nothing else`);
      assert.ok(payloads.length > 0, `${file} has payloads`);
      for (const payload of payloads) {
        assert.equal(Buffer.from(payload.metadata?.encoding ?? []).toString(), 'binary/encrypted', file);
      }
    }
  });

  it('workflow inputs and results are ids and small summaries, never rows', async () => {
    const codec = new AesGcmPayloadCodec(stack().config.TEMPORAL_PAYLOAD_KEY);
    const rowFields = /"(firstName|lastName|dateOfBirth|dob|mrn|phone|address|email)"\s*:/i;
    for (const { file, history } of histories) {
      let checked = 0;
      for (const event of history.events ?? []) {
        const boundary =
          event.workflowExecutionStartedEventAttributes?.input?.payloads ??
          event.workflowExecutionCompletedEventAttributes?.result?.payloads ??
          event.workflowExecutionContinuedAsNewEventAttributes?.input?.payloads ??
          [];
        for (const payload of await codec.decode(boundary as never)) {
          const json = Buffer.from(payload.data ?? []).toString();
          assert.ok(json.length < 4096, `${file}: a workflow input/result of ${json.length} bytes`);
          assert.doesNotMatch(json, rowFields, `${file}: ${json.slice(0, 200)}`);
          checked += 1;
        }
      }
      assert.ok(checked > 0 || file.startsWith('workerSelfCheck'), `${file}: no input or result was checked`);
    }
  });
});
