import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import type { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { QueryTypes, type Sequelize } from 'sequelize';
import { insertRosterImport } from '../../db/roster-import-store';
import { rosterImportWorkflowId } from '../../lib/workflow-contracts';

/**
 * A new organization, `file` uploaded under its prefix, and a queued replace-mode employee import of
 * it — recorded with the upload's ETag and its workflow id, as the API's streamed-body upload records it.
 */
export async function uploadRosterImport(
  { sequelize, s3, bucket }: { sequelize: Sequelize; s3: S3Client; bucket: string },
  file: string,
) {
  const [org] = await sequelize.query<{ id: string }>(
    `INSERT INTO organizations (name, subdomain, status)
     VALUES ('Bench', 'bench-' || substr(md5(random()::text), 1, 8), 'active') RETURNING id`,
    { type: QueryTypes.SELECT },
  );
  const organizationId = org?.id as string;
  const key = `imports/${organizationId}/bench.csv`;
  const { ETag } = await new Upload({
    client: s3,
    params: { Bucket: bucket, Key: key, Body: fs.createReadStream(file) },
  }).done();
  const importId = randomUUID();
  await insertRosterImport(sequelize, {
    id: importId,
    organizationId,
    kind: 'employees',
    bucket,
    key,
    etag: ETag ?? null,
    format: 'csv',
    mode: 'replace',
    dryRun: false,
    force: false,
    workflowId: rosterImportWorkflowId(importId),
    createdBy: null,
  });
  return { importId };
}
