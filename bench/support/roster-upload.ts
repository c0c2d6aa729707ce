import fs from 'node:fs';
import type { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { QueryTypes, type Sequelize } from 'sequelize';

/**
 * A new organization, `file` uploaded under its prefix, and a queued replace-mode employee import of
 * it — recorded with the upload's ETag, as the API's streamed-body upload records it.
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
  const [imp] = await sequelize.query<{ id: string }>(
    `INSERT INTO roster_imports (organization_id, kind, source_bucket, source_key, source_etag, format, mode)
     VALUES ($1, 'employees', $2, $3, $4, 'csv', 'replace') RETURNING id`,
    { bind: [organizationId, bucket, key, ETag], type: QueryTypes.SELECT },
  );
  return { importId: imp?.id as string };
}
