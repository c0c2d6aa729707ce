import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import { QueryTypes } from 'sequelize';
import { findRosterImport, insertRosterImport } from '../../db/roster-import-store';
import { npiCheckDigit } from '../../domain/npi';
import {
  type RosterImportSummary,
  type RosterKind,
  rosterImportWorkflowId,
} from '../../lib/workflow-contracts';
import { rosterImport } from '../../workflows/roster-import';
import { stack } from '../support/stack';

export { zipOf } from '../support/xlsx-archive';

export async function putObject(key: string, body: Buffer | string, contentType = 'text/csv') {
  const result = await stack().s3.send(
    new PutObjectCommand({
      Bucket: stack().config.AWS_S3_BUCKET_NAME,
      Key: key,
      Body: body,
      ContentType: contentType,
    }),
  );
  return result.ETag ?? null;
}

/** A valid NPI derived from n (deterministic). */
export function npiFor(n: number): string {
  const first9 = `1${String(n).padStart(8, '0')}`;
  return `${first9}${npiCheckDigit(first9)}`;
}

/** `count` valid employee rows E<start>…, CSV with a header. */
export function employeeCsv(count: number, start = 1, suffix = ''): string {
  const lines = ['Employee ID,First Name,Last Name,DOB,NPI,Email'];
  for (let i = start; i < start + count; i++) {
    lines.push(
      `E${i},First${i}${suffix},Last${i},1980-01-${String((i % 28) + 1).padStart(2, '0')},${npiFor(i)},e${i}@example.test`,
    );
  }
  return `${lines.join('\n')}\n`;
}

export interface ImportOptions {
  kind?: RosterKind;
  mode?: 'replace' | 'merge';
  dryRun?: boolean;
  force?: boolean;
  format?: 'csv' | 'xlsx';
  batchSize?: number;
}

/** Uploads `body`, records an import for it and returns its id and key (the workflow is not started). */
export async function stageImport(
  organizationId: string,
  body: Buffer | string | null,
  options: ImportOptions = {},
) {
  const format = options.format ?? 'csv';
  const key = `test/${organizationId}/${randomUUID()}.${format}`;
  if (body !== null) await putObject(key, body, format === 'xlsx' ? 'application/octet-stream' : 'text/csv');
  const id = randomUUID();
  const imp = await insertRosterImport(stack().sequelize, {
    id,
    organizationId,
    kind: options.kind ?? 'employees',
    bucket: stack().config.AWS_S3_BUCKET_NAME,
    key,
    etag: null,
    format,
    mode: options.mode ?? 'merge',
    dryRun: options.dryRun ?? false,
    force: options.force ?? false,
    workflowId: rosterImportWorkflowId(id),
    createdBy: null,
  });
  if (!imp) throw new Error(`import ${id} exists already`);
  return imp;
}

export function startImportWorkflow(taskQueue: string, importId: string, batchSize?: number) {
  return stack().temporal.workflow.start(rosterImport, {
    taskQueue,
    workflowId: rosterImportWorkflowId(importId),
    args: [{ importId, batchSize }],
  });
}

/** Stages and runs one import on a fresh worker; resolves with the summary or the workflow's failure. */
export async function runImport(
  organizationId: string,
  body: Buffer | string | null,
  options: ImportOptions = {},
): Promise<{ importId: string; summary?: RosterImportSummary; error?: unknown }> {
  const imp = await stageImport(organizationId, body, options);
  const taskQueue = `roster-${randomUUID()}`;
  const worker = await stack().createWorker(taskQueue);
  const handle = await startImportWorkflow(taskQueue, imp.id, options.batchSize);
  return worker.runUntil(
    handle.result().then(
      (summary) => ({ importId: imp.id, summary }),
      (error: unknown) => ({ importId: imp.id, error }),
    ),
  );
}

/** The import's row with camelCase keys (`rowsProcessed`, `deactivatedCount`…). */
export async function importRow(importId: string) {
  const imp = await findRosterImport(stack().sequelize, importId);
  if (!imp) throw new Error(`import ${importId} does not exist`);
  return {
    id: imp.id,
    status: imp.status,
    totalCount: imp.total_count,
    insertedCount: imp.inserted_count,
    updatedCount: imp.updated_count,
    unchangedCount: imp.unchanged_count,
    deactivatedCount: imp.deactivated_count,
    rejectedCount: imp.rejected_count,
    rowsProcessed: imp.rows_processed,
    unknownColumns: imp.unknown_columns,
    failureReason: imp.failure_reason,
    finishedAt: imp.finished_at,
  };
}

export async function importErrors(importId: string) {
  return stack().sequelize.query<{
    row_number: number;
    column: string | null;
    code: string;
    value: string | null;
  }>(
    'SELECT row_number, "column", code, value FROM roster_import_errors WHERE import_id = $1 ORDER BY row_number, "column"',
    { bind: [importId], type: QueryTypes.SELECT },
  );
}

export async function employeesOf(organizationId: string) {
  return stack().sequelize.query<Record<string, any>>(
    'SELECT * FROM employees WHERE organization_id = $1 ORDER BY external_id NULLS LAST, email',
    { bind: [organizationId], type: QueryTypes.SELECT },
  );
}

/** The failure type behind a failed import workflow (WorkflowFailedError → ActivityFailure → ApplicationFailure). */
export function failureType(error: unknown): { type: string | undefined; nonRetryable: boolean } {
  assert.ok(error instanceof WorkflowFailedError, `expected WorkflowFailedError, got ${error}`);
  assert.ok(error.cause instanceof ActivityFailure);
  assert.ok(error.cause.cause instanceof ApplicationFailure);
  return { type: error.cause.cause.type ?? undefined, nonRetryable: error.cause.cause.nonRetryable === true };
}
