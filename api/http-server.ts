import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { serve } from '@hono/node-server';
import { problemBody } from './problem';

/**
 * The API's HTTP server: Hono on Node's, whose parser refuses some requests before the app sees
 * them (headers over Node's 16 KB, a bare CR or LF or NUL in a header, Content-Length beside
 * Transfer-Encoding). Node answers those with an empty body; here they get the problem+json every
 * other error has (docs/spec.md §5), a request id, and the connection closed.
 */
export function serveApi(
  options: { fetch: (request: Request) => Response | Promise<Response>; port: number; hostname: string },
  onListening: (info: { port: number }) => void,
) {
  const server = serve(options, onListening);
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    // A client that went away, or a socket already answered, has nobody to read an answer.
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    socket.end(parserRefusal(error.code));
  });
  return server;
}

/** What each refusal of Node's parser (llhttp's `HPE_…` codes, Node's timeouts) is answered with. */
const REFUSALS: Record<string, [status: number, title: string, detail: string]> = {
  HPE_HEADER_OVERFLOW: [
    431,
    'Request Header Fields Too Large',
    'The request headers are larger than the server accepts (16 KB in all); send fewer or shorter headers.',
  ],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout', 'The request did not arrive in time; send it again.'],
};
const MALFORMED: [number, string, string] = [
  400,
  'Bad Request',
  'The request is not valid HTTP/1.1 (a malformed header or framing); fix the client or proxy.',
];

/** The whole HTTP/1.1 answer to a request Node's parser refused. */
export function parserRefusal(code: string | undefined): string {
  const [status, title, detail] = (code && REFUSALS[code]) || MALFORMED;
  const body = JSON.stringify(problemBody(status, detail, { title }));
  return [
    `HTTP/1.1 ${status} ${title}`,
    'Content-Type: application/problem+json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    `X-Request-Id: ${randomUUID()}`,
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}
