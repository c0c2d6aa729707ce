import { createHash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { ProblemError } from '../../problem';

/** Generous: a million-row roster is ~100 MB of CSV. */
export const MAX_IMPORT_UPLOAD_BYTES = 1024 * 1024 * 1024;

const tooLarge = () => new ProblemError(413, `The file is larger than ${MAX_IMPORT_UPLOAD_BYTES} bytes.`);

/** Streams a request body to S3 (multipart) without holding it, hashing it; over the cap answers 413. */
export async function streamBodyToS3(
  s3: S3Client,
  body: ReadableStream<Uint8Array>,
  params: { bucket: string; key: string; contentType: string },
): Promise<{ etag: string | null; bytes: number; sha256: string }> {
  let bytes = 0;
  const hash = createHash('sha256');
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      hash.update(chunk);
      if (bytes > MAX_IMPORT_UPLOAD_BYTES) callback(tooLarge());
      else callback(null, chunk);
    },
  });
  const source = Readable.fromWeb(body as WebReadableStream<Uint8Array>);
  source.on('error', (error) => counter.destroy(error));
  const upload = new Upload({
    client: s3,
    params: {
      Bucket: params.bucket,
      Key: params.key,
      Body: source.pipe(counter),
      ContentType: params.contentType,
    },
    queueSize: 2,
    partSize: 8 * 1024 * 1024,
  });
  try {
    const result = await upload.done();
    return { etag: result.ETag ?? null, bytes, sha256: hash.digest('hex') };
  } catch (error) {
    if (error instanceof ProblemError) throw error;
    if (bytes > MAX_IMPORT_UPLOAD_BYTES) throw tooLarge();
    throw error;
  }
}

/** Removes an uploaded file no import will read; a failure is left to the bucket's lifecycle rules. */
export async function deleteUpload(s3: S3Client, params: { bucket: string; key: string }): Promise<void> {
  await s3.send(new DeleteObjectCommand({ Bucket: params.bucket, Key: params.key })).catch(() => {});
}
