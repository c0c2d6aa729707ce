import type { Context } from 'hono';

/** A streamed CSV download: UTF-8 text/csv, saved under `filename`. */
export function csvDownload(c: Context, stream: ReadableStream<string>, filename: string) {
  return c.body(stream.pipeThrough(new TextEncoderStream()), 200, {
    'Content-Type': 'text/csv; charset=utf-8',
    'Content-Disposition': `attachment; filename="${filename}"`,
  });
}
