import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** What the stub answers for the CSV: a body, a file on disk, or a stream made per request. */
export type CsvBody = string | Buffer | { file: string } | { stream: () => Readable };

export interface CsvResponse {
  body: CsvBody;
  status?: number;
  etag?: string;
  lastModified?: string;
  contentType?: string;
  /** Announce this Content-Length instead of the real one (a "200 MB" header with a tiny body). */
  contentLength?: number;
}

/**
 * The OIG web site as a local HTTP server: the exclusions page and the UPDATED.csv download, both
 * set by the test. Honors If-None-Match / If-Modified-Since with 304 like a real web server.
 */
export class OigSiteStub {
  private server = http.createServer((request, response) => {
    this.handle(request, response).catch(() => response.destroy());
  });
  private page = { status: 200, html: '' };
  private csv: CsvResponse = { body: '' };
  readonly requests: { path: string; headers: http.IncomingHttpHeaders }[] = [];
  baseUrl = '';

  static async start(): Promise<OigSiteStub> {
    const stub = new OigSiteStub();
    await new Promise<void>((resolve) => stub.server.listen(0, '127.0.0.1', resolve));
    stub.baseUrl = `http://127.0.0.1:${(stub.server.address() as AddressInfo).port}`;
    return stub;
  }

  get pageUrl() {
    return `${this.baseUrl}/exclusions/exclusions_list.asp`;
  }

  get csvUrl() {
    return `${this.baseUrl}/exclusions/downloadables/UPDATED.csv`;
  }

  /** Config overrides pointing a worker at this stub. */
  get config() {
    return { OIG_WEBPAGE_URL: this.pageUrl, OIG_CSV_DOWNLOAD_URL: this.csvUrl };
  }

  /** A page like OIG's, announcing `date` as written (e.g. "11-10-2026"). */
  setPageDate(date: string) {
    this.setPage(
      `<!DOCTYPE html><html><head><title>LEIE Downloadable Databases</title></head><body>
       <h1>LEIE Downloadable Databases</h1>
       <p>The LEIE is updated monthly.</p>
       <div class="leie-updated"><strong>Last Update:</strong> <span>${date}</span></div>
       <a href="/exclusions/downloadables/UPDATED.csv">UPDATED.csv</a></body></html>`,
    );
  }

  setPage(html: string, status = 200) {
    this.page = { status, html };
  }

  setCsv(csv: CsvResponse) {
    this.csv = csv;
  }

  csvRequests() {
    return this.requests.filter((request) => request.path.endsWith('.csv'));
  }

  async close() {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(request: http.IncomingMessage, response: http.ServerResponse) {
    this.requests.push({ path: request.url ?? '', headers: request.headers });
    if (request.url === new URL(this.pageUrl).pathname) {
      response.writeHead(this.page.status, { 'content-type': 'text/html; charset=utf-8' });
      response.end(this.page.html);
      return;
    }
    if (request.url !== new URL(this.csvUrl).pathname) {
      response.writeHead(404).end();
      return;
    }
    const csv = this.csv;
    const headers: Record<string, string | number> = { 'content-type': csv.contentType ?? 'text/csv' };
    if (csv.etag) headers.etag = csv.etag;
    if (csv.lastModified) headers['last-modified'] = csv.lastModified;
    const notModified =
      (csv.etag && request.headers['if-none-match'] === csv.etag) ||
      (!request.headers['if-none-match'] &&
        csv.lastModified &&
        request.headers['if-modified-since'] === csv.lastModified);
    if (notModified && (csv.status ?? 200) === 200) {
      response.writeHead(304, headers).end();
      return;
    }
    const body = csv.body;
    if (typeof body === 'string' || Buffer.isBuffer(body)) {
      headers['content-length'] = csv.contentLength ?? Buffer.byteLength(body);
      response.writeHead(csv.status ?? 200, headers);
      response.end(body);
      return;
    }
    if ('file' in body) headers['content-length'] = csv.contentLength ?? fs.statSync(body.file).size;
    else if (csv.contentLength !== undefined) headers['content-length'] = csv.contentLength;
    response.writeHead(csv.status ?? 200, headers);
    const source = 'file' in body ? fs.createReadStream(body.file) : body.stream();
    await pipeline(source, response);
  }
}

/** A stream of `total` bytes: `prefix`, then `line` repeated (a runaway response). */
export function repeatingStream(prefix: string, line: string, total: number): () => Readable {
  return () => {
    let sent = 0;
    const chunk = Buffer.from(line.repeat(Math.max(1, Math.floor((256 * 1024) / line.length))));
    return new Readable({
      read() {
        if (sent === 0) {
          sent += prefix.length;
          this.push(prefix);
          return;
        }
        if (sent >= total) {
          this.push(null);
          return;
        }
        sent += chunk.length;
        this.push(chunk);
      },
    });
  };
}
