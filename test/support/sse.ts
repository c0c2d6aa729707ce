import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { createApp } from '../../api/app';

export interface SseEvent {
  id?: string;
  event?: string;
  data: string;
}

/** An API app listening on a loopback port: one "replica" of the tests. */
export async function listen(app: ReturnType<typeof createApp>) {
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const started = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(started));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        (server as unknown as { closeAllConnections(): void }).closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A Server-Sent Events client over fetch, as a browser's EventSource parses the stream (events,
 * comments), without reconnecting on its own: the tests reconnect with Last-Event-ID themselves.
 */
export async function openEventStream(url: string, headers: Record<string, string> = {}) {
  const abort = new AbortController();
  const response = await fetch(url, {
    headers: { accept: 'text/event-stream', ...headers },
    signal: abort.signal,
  });
  const events: SseEvent[] = [];
  const comments: string[] = [];
  let ended = false;
  let waiters: (() => void)[] = [];
  const wake = () => {
    const current = waiters;
    waiters = [];
    for (const waiter of current) waiter();
  };
  if (response.ok && response.body) {
    void (async () => {
      const decoder = new TextDecoder();
      let buffer = '';
      try {
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          buffer += decoder.decode(chunk, { stream: true });
          let end = buffer.indexOf('\n\n');
          while (end >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const event: SseEvent = { data: '' };
            let isEvent = false;
            for (const line of block.split('\n')) {
              if (line.startsWith(':')) comments.push(line.slice(1).trim());
              else if (line.startsWith('id: ')) event.id = line.slice(4);
              else if (line.startsWith('event: ')) event.event = line.slice(7);
              else if (line.startsWith('data: ')) {
                event.data = line.slice(6);
                isEvent = true;
              }
            }
            if (isEvent) events.push(event);
            end = buffer.indexOf('\n\n');
          }
          wake();
        }
      } catch {
        // aborted or dropped by the server
      }
      ended = true;
      wake();
    })();
  }
  const changed = () => new Promise<void>((resolve) => waiters.push(resolve));
  return {
    response,
    status: response.status,
    events,
    comments,
    get ended() {
      return ended;
    },
    /** Waits until `done()` holds (checked after each chunk), failing after `timeoutMs`. */
    async until(done: () => boolean, timeoutMs = 5000, what = 'the stream to reach the expected state') {
      const deadline = Date.now() + timeoutMs;
      while (!done()) {
        if (ended) {
          if (done()) return;
          throw new Error(`the stream ended before ${what}`);
        }
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`timed out waiting for ${what}`);
        await Promise.race([changed(), new Promise((resolve) => setTimeout(resolve, left))]);
      }
    },
    close() {
      abort.abort();
    },
  };
}
