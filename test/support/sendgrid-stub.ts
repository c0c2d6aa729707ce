import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One `POST /v3/mail/send` as SendGrid would have received it. */
export interface RecordedMail {
  authorization: string | undefined;
  to: string[];
  from: string | undefined;
  subject: string | undefined;
  text: string | undefined;
  html: string | undefined;
  /** The x-message-id the stub answered with (only for 2xx answers). */
  messageId: string | null;
  status: number;
  body: any;
}

export interface StubResponse {
  status: number;
  body?: unknown;
}

/**
 * A local stand-in for the SendGrid v3 API: records every `POST /v3/mail/send` and answers with
 * scripted responses in order, then 202 with a fresh `x-message-id` once the script runs out.
 */
export class SendGridStub {
  readonly requests: RecordedMail[] = [];
  private script: StubResponse[] = [];
  private waiters: { count: number; resolve: () => void }[] = [];

  private constructor(private readonly server: http.Server) {}

  static async start(): Promise<SendGridStub> {
    const server = http.createServer();
    const stub = new SendGridStub(server);
    server.on('request', (req, res) => stub.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return stub;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Config overrides that point a worker at this stub. */
  config() {
    return {
      EMAIL_PROVIDER: 'sendgrid' as const,
      SENDGRID_API_KEY: 'SG.test',
      SENDGRID_API_BASE_URL: this.url,
    };
  }

  /** The next answers, in order (e.g. two 500s); after them the stub accepts again. */
  respondWith(...responses: StubResponse[]): void {
    this.script.push(...responses);
  }

  /** Requests addressed to `to`. */
  to(address: string): RecordedMail[] {
    return this.requests.filter((r) => r.to.includes(address));
  }

  /** Resolves once at least `count` requests were recorded. */
  waitForRequests(count: number): Promise<void> {
    if (this.requests.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v3/mail/send') {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ errors: [{ message: `no route ${req.method} ${req.url}` }] }));
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      const answer = this.script.shift() ?? { status: 202 };
      const ok = answer.status >= 200 && answer.status < 300;
      const messageId = ok ? `stub-${randomUUID()}` : null;
      const content = (type: string) =>
        (body.content as { type: string; value: string }[] | undefined)?.find((c) => c.type === type)?.value;
      this.requests.push({
        authorization: req.headers.authorization,
        to: (body.personalizations ?? []).flatMap((p: { to?: { email: string }[] }) =>
          (p.to ?? []).map((t) => t.email),
        ),
        from: body.from?.email,
        subject: body.subject,
        text: content('text/plain'),
        html: content('text/html'),
        messageId,
        status: answer.status,
        body,
      });
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (messageId) headers['x-message-id'] = messageId;
      res.writeHead(answer.status, headers);
      res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
      const ready = this.waiters.filter((w) => this.requests.length >= w.count);
      this.waiters = this.waiters.filter((w) => this.requests.length < w.count);
      for (const waiter of ready) waiter.resolve();
    });
  }
}
