import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { ExclusionListReader, type ListRecord } from '../../../domain/exclusion-sources/read-list';
import type { ExclusionSourceAdapter } from '../../../domain/exclusion-sources/source';

const fixtures = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../fixtures/exclusion-sources',
);

export const fixture = (name: string): Buffer => fs.readFileSync(path.join(fixtures, name));

/** The bytes as a stream cut into chunks of `chunkBytes`, so records and characters straddle chunks. */
export function chunked(bytes: Buffer, chunkBytes = 7): Readable {
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += chunkBytes) chunks.push(bytes.subarray(at, at + chunkBytes));
  return Readable.from(chunks, { objectMode: false });
}

/** Every record of the bytes read with the adapter, and the reader (its counts and rejections). */
export async function readAll(
  adapter: ExclusionSourceAdapter,
  bytes: Buffer | string,
  chunkBytes?: number,
): Promise<{ records: ListRecord[]; reader: ExclusionListReader }> {
  const reader = new ExclusionListReader(adapter);
  const records: ListRecord[] = [];
  for await (const batch of reader.read(chunked(Buffer.from(bytes), chunkBytes))) records.push(...batch);
  return { records, reader };
}
