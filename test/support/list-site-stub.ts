import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the stub answers for one path. */
export interface ListResponse {
  body: Buffer | string;
  status?: number;
  contentType?: string;
  lastModified?: string;
  /** Send only this many bytes of the body, then hold the connection open without a byte more. */
  stallAfter?: number;
}

/**
 * The sites of the exclusion lists (SAM.gov's extract API, the state lists) as one local HTTP
 * server: each path answers what the test set, and every request is counted, so a test sees the
 * retries of a stalled download. Serves the fixtures of test/fixtures/exclusion-sources.
 */
export class ListSiteStub {
  private server = http.createServer((request, response) => this.handle(request, response));
  private responses = new Map<string, ListResponse>();
  readonly requests: string[] = [];
  baseUrl = '';

  static async start(): Promise<ListSiteStub> {
    const stub = new ListSiteStub();
    await new Promise<void>((resolve) => stub.server.listen(0, '127.0.0.1', resolve));
    stub.baseUrl = `http://127.0.0.1:${(stub.server.address() as AddressInfo).port}`;
    return stub;
  }

  url(path: string) {
    return `${this.baseUrl}${path}`;
  }

  set(path: string, response: ListResponse) {
    this.responses.set(path, response);
  }

  requestsTo(path: string) {
    return this.requests.filter((request) => request.split('?')[0] === path).length;
  }

  async close() {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(request: http.IncomingMessage, response: http.ServerResponse) {
    const url = request.url ?? '';
    this.requests.push(url);
    const answer = this.responses.get(url.split('?')[0] ?? '');
    if (!answer) {
      response.writeHead(404).end();
      return;
    }
    const body = Buffer.from(answer.body);
    response.writeHead(answer.status ?? 200, {
      'content-type': answer.contentType ?? 'application/octet-stream',
      'content-length': body.length,
      ...(answer.lastModified ? { 'last-modified': answer.lastModified } : {}),
    });
    if (answer.stallAfter === undefined) {
      response.end(body);
      return;
    }
    response.write(body.subarray(0, answer.stallAfter));
  }
}
