import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';

/**
 * The client's address (docs/spec.md §11). Without trusted proxies (`TRUST_PROXY_HOPS` 0) it is the
 * socket's peer and `X-Forwarded-For` is ignored: anyone can write that header. With N trusted
 * proxies, each appending the address it received the request from, the client is the N-th entry
 * from the right; entries left of it were written by the client and are not believed. Requests
 * without a socket (in-process tests) are `unknown`.
 */
export function clientIp(c: Context, trustProxyHops: number): string {
  if (trustProxyHops > 0) {
    const forwarded = (c.req.header('x-forwarded-for') ?? '')
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean);
    const index = forwarded.length - trustProxyHops;
    const entry = forwarded[Math.max(index, 0)];
    if (entry) return entry.slice(0, 64);
  }
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
