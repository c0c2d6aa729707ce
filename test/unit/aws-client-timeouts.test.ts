import assert from 'node:assert/strict';
import net from 'node:net';
import type { Readable } from 'node:stream';
import { ListHostedZonesCommand } from '@aws-sdk/client-route-53';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { createRoute53Client, createS3Client, createSqsClient } from '../../lib/aws';
import { loadConfig } from '../../lib/config';
import { isOutageError } from '../../lib/outage-errors';

/**
 * An S3 endpoint that hangs (a stopped host, a half-open connection) must fail the call, not stall
 * it (docs/spec.md §12; the whole outage is test/faults/moto-outage.test.ts). A loopback server that
 * accepts connections and then answers nothing — or the start of a body and then nothing.
 */
async function stallingServer(answer: (socket: net.Socket) => void) {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once('data', () => answer(socket));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function client(endpoint: string) {
  return createS3Client({
    ...loadConfig({ AWS_ENDPOINT_URL: endpoint }),
    AWS_S3_CONNECT_TIMEOUT_MS: 300,
    AWS_S3_SOCKET_TIMEOUT_MS: 300,
  });
}

describe('the S3 client does not wait forever on S3 that hangs', () => {
  it('has timeouts by default', () => {
    const config = loadConfig({});
    assert.ok(config.AWS_S3_CONNECT_TIMEOUT_MS > 0);
    assert.ok(config.AWS_S3_SOCKET_TIMEOUT_MS > 0);
  });

  it('a request nobody answers fails as a TimeoutError, an outage the activities retry', async () => {
    const server = await stallingServer(() => undefined);
    const s3 = client(server.endpoint);
    try {
      const started = Date.now();
      const error = await s3.send(new HeadObjectCommand({ Bucket: 'ale-uploads', Key: 'k' })).then(
        () => assert.fail('a request nobody answered succeeded'),
        (caught: unknown) => caught as Error,
      );
      assert.equal(error.name, 'TimeoutError', String(error));
      assert.ok(isOutageError(error));
      assert.ok(Date.now() - started < 10_000);
    } finally {
      s3.destroy();
      await server.close();
    }
  });

  it('a body that stops mid-stream fails the read as a TimeoutError instead of ending it short', async () => {
    const server = await stallingServer((socket) => {
      socket.write(
        'HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nContent-Length: 100000\r\nETag: "e"\r\n\r\nEmployee ID,First Name\r\nE1,Ann\r\n',
      );
    });
    const s3 = client(server.endpoint);
    try {
      const object = await s3.send(new GetObjectCommand({ Bucket: 'ale-uploads', Key: 'k' }));
      const received: Buffer[] = [];
      const error = await (async () => {
        for await (const chunk of object.Body as Readable) received.push(chunk as Buffer);
      })().then(
        () => assert.fail('a body cut short was read to a normal end'),
        (caught: unknown) => caught as Error,
      );
      assert.equal(Buffer.concat(received).toString(), 'Employee ID,First Name\r\nE1,Ann\r\n');
      assert.equal(error.name, 'TimeoutError', String(error));
      assert.ok(isOutageError(error));
    } finally {
      s3.destroy();
      await server.close();
    }
  });
});

describe('Route 53 and SQS do not wait forever either', () => {
  const quick = { connectionMs: 300, socketMs: 300 };

  async function timesOut(send: () => Promise<unknown>) {
    const started = Date.now();
    const error = await send().then(
      () => assert.fail('a request nobody answered succeeded'),
      (caught: unknown) => caught as Error,
    );
    assert.equal(error.name, 'TimeoutError', String(error));
    assert.ok(isOutageError(error));
    assert.ok(Date.now() - started < 10_000);
  }

  it('a Route 53 call nobody answers fails as a TimeoutError', async () => {
    const server = await stallingServer(() => undefined);
    const route53 = createRoute53Client(loadConfig({ AWS_ENDPOINT_URL: server.endpoint }), quick);
    try {
      await timesOut(() => route53.send(new ListHostedZonesCommand({})));
    } finally {
      route53.destroy();
      await server.close();
    }
  });

  it('an SQS receive nobody answers fails as a TimeoutError (the consumer then polls again)', async () => {
    const server = await stallingServer(() => undefined);
    const sqs = createSqsClient(loadConfig({ AWS_ENDPOINT_URL: server.endpoint }), quick);
    try {
      await timesOut(() =>
        sqs.send(
          new ReceiveMessageCommand({ QueueUrl: `${server.endpoint}/000000000000/q`, WaitTimeSeconds: 0 }),
        ),
      );
    } finally {
      sqs.destroy();
      await server.close();
    }
  });

  it('by default, both have timeouts, and SQS waits longer than its 20 s long poll', async () => {
    const config = loadConfig({});
    const handlerOf = async (client: { config: { requestHandler: unknown } }) =>
      (client.config.requestHandler as { configProvider: Promise<Record<string, number>> }).configProvider;
    const route53 = await handlerOf(createRoute53Client(config));
    const sqs = await handlerOf(createSqsClient(config));
    assert.ok(
      (route53.connectionTimeout ?? 0) > 0 && (route53.socketTimeout ?? 0) > 0,
      JSON.stringify(route53),
    );
    assert.ok((sqs.connectionTimeout ?? 0) > 0, JSON.stringify(sqs));
    assert.ok((sqs.socketTimeout ?? 0) > 20_000, JSON.stringify(sqs));
  });
});
