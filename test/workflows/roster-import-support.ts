import { randomUUID } from 'node:crypto';
import { crc32, deflateRawSync } from 'node:zlib';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { QueryTypes } from 'sequelize';
import { queryOne } from '../../db/sql';
import { npiCheckDigit } from '../../domain/roster-row';
import {
  type RosterImportSummary,
  type RosterKind,
  rosterImportWorkflowId,
} from '../../lib/workflow-contracts';
import { rosterImport } from '../../workflows/roster-import';
import { stack } from '../support/stack';

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
  await queryOne(
    stack().sequelize,
    `INSERT INTO roster_imports (id, organization_id, kind, source_bucket, source_key, format, mode, dry_run, force,
       workflow_id)
     VALUES ($id, $organizationId, $kind, $bucket, $key, $format, $mode, $dryRun, $force, $workflowId)`,
    {
      id,
      organizationId,
      kind: options.kind ?? 'employees',
      bucket: stack().config.AWS_S3_BUCKET_NAME,
      key,
      format,
      mode: options.mode ?? 'merge',
      dryRun: options.dryRun ?? false,
      force: options.force ?? false,
      workflowId: rosterImportWorkflowId(id),
    },
  );
  return importRow(id);
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

interface RosterImportFields {
  id: string;
  organizationId: string;
  kind: RosterKind;
  status: RosterImportSummary['status'];
  workflowId: string | null;
  failureReason: string | null;
  errorReportKey: string | null;
  unknownColumns: string[];
  startedAt: Date | null;
  finishedAt: Date | null;
  [count: `${string}Count`]: number;
  rowsProcessed: number;
}

export async function importRow(importId: string): Promise<RosterImportFields> {
  const row = await queryOne(stack().sequelize, 'SELECT * FROM roster_imports WHERE id = $importId', {
    importId,
  });
  if (!row) throw new Error(`Import ${importId} does not exist.`);
  // The fields as the tests name them (camelCase).
  return Object.fromEntries(
    Object.entries(row).map(([column, value]) => [
      column.replace(/_(.)/g, (_, c: string) => c.toUpperCase()),
      value,
    ]),
  ) as RosterImportFields;
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

/** A minimal zip (deflated entries) — enough to build a workbook-shaped zip bomb. */
export function zipOf(entries: { name: string; data: Buffer }[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const { name, data } of entries) {
    const compressed = deflateRawSync(data, { level: 9 });
    const nameBytes = Buffer.from(name);
    const header = Buffer.alloc(30);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(20, 4);
    header.writeUInt16LE(8, 8);
    header.writeUInt32LE(crc32(data), 14);
    header.writeUInt32LE(compressed.length, 18);
    header.writeUInt32LE(data.length, 22);
    header.writeUInt16LE(nameBytes.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc32(data), 16);
    central.writeUInt32LE(compressed.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(header, nameBytes, compressed);
    centrals.push(central, nameBytes);
    offset += header.length + nameBytes.length + compressed.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}
