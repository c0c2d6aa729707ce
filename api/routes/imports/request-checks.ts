import type { Context } from 'hono';
import type { ZodError } from 'zod';
import {
  type FieldError,
  INVALID_REQUEST,
  ProblemError,
  problemResponse,
  zodFieldErrors,
} from '../../problem';
import { ImportJsonSchema, ImportQuery, XLSX_MIME } from './routes';

/** What POST …/imports takes: the file itself, or JSON naming an uploaded object. */
export const IMPORT_MEDIA_TYPES = ['text/csv', XLSX_MIME, 'application/json'];

export const mediaTypeOf = (c: Context) =>
  (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';

const isFile = (mediaType: string) => mediaType === 'text/csv' || mediaType === XLSX_MIME;

const KIND_MISSING: FieldError = {
  path: 'query.kind',
  message: 'Required when the body is the file: ?kind=employees, caregivers or patients.',
};
const BODY_EMPTY: FieldError = {
  path: '(body)',
  message: 'The file is empty: send the roster itself as the body, e.g. --data-binary @roster.csv.',
};

/**
 * The body, or null when it holds no byte. The first chunk is read to know and handed back in
 * front of the rest, so an empty upload is refused before anything reaches S3.
 */
export async function nonEmptyBody(
  body: ReadableStream<Uint8Array> | null,
): Promise<ReadableStream<Uint8Array> | null> {
  if (!body) return null;
  const reader = body.getReader();
  let first = await reader.read();
  while (!first.done && first.value.byteLength === 0) first = await reader.read();
  if (first.done) return null;
  const head = first.value;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(head);
    },
    async pull(controller) {
      const next = await reader.read();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}

/** A file upload without its kind or without a byte: 422 naming both when both are missing. */
export function invalidUpload(kind: string | undefined, body: ReadableStream<Uint8Array> | null) {
  const errors = [...(kind ? [] : [KIND_MISSING]), ...(body ? [] : [BODY_EMPTY])];
  return new ProblemError(422, INVALID_REQUEST, { errors });
}

const queryOf = (c: Context) =>
  Object.fromEntries(
    Object.entries(c.req.queries()).map(([name, values]) => [name, values.length === 1 ? values[0] : values]),
  );

/** Every problem of the request at once: the query, the JSON body, or the file's kind and bytes. */
async function importRequestErrors(c: Context): Promise<FieldError[]> {
  const query = ImportQuery.safeParse(queryOf(c));
  const errors = query.success ? [] : zodFieldErrors(query.error, 'query');
  const mediaType = mediaTypeOf(c);
  if (mediaType === 'application/json') {
    const body: unknown = await c.req.json().catch(() => undefined);
    if (body === undefined) errors.push({ path: '(body)', message: 'The request body is not valid JSON.' });
    else {
      const json = ImportJsonSchema.safeParse(body);
      if (!json.success) errors.push(...zodFieldErrors(json.error));
    }
  } else if (isFile(mediaType)) {
    if (!c.req.query('kind')) errors.push(KIND_MISSING);
    if ((await nonEmptyBody(c.req.raw.body)) === null) errors.push(BODY_EMPTY);
  }
  return errors;
}

/**
 * The import route's validation hook: the query and the body are checked one after the other, so
 * the first failure alone would hide the rest; this answers with all of them.
 */
export function reportEveryImportError(
  result: { success: true } | { success: false; error: ZodError; target: string },
  c: Context,
): Promise<Response> | undefined {
  if (result.success) return undefined;
  const own = zodFieldErrors(result.error, result.target === 'json' ? undefined : result.target);
  return importRequestErrors(c).then((errors) =>
    problemResponse(c, 422, INVALID_REQUEST, { errors: errors.length ? errors : own }),
  );
}
