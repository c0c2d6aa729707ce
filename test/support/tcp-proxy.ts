import net from 'node:net';

/**
 * A loopback TCP proxy in front of a real server (moto), so a test can cut the network path of one
 * client: `cut()` resets every open connection (a body being read ends in ECONNRESET) and stops
 * listening (new connections are refused); `restore()` listens again on the same port.
 */
export async function startTcpProxy(target: { host: string; port: number }) {
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  };
  const relay = (client: net.Socket) => {
    const upstream = net.connect(target.port, target.host);
    track(client);
    track(upstream);
    // pipe() ends each side after the other ended, once what it wrote was flushed: destroying on
    // 'close' instead would drop the tail of a response and cut bodies short outside any outage.
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  };
  const listen = (port: number) =>
    new Promise<net.Server>((resolve, reject) => {
      const server = net.createServer(relay);
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve(server));
    });
  let server: net.Server | undefined = await listen(0);
  const { port } = server.address() as net.AddressInfo;

  async function stop() {
    const closing = server;
    server = undefined;
    if (closing) {
      const closed = new Promise((resolve) => closing.close(resolve));
      for (const socket of sockets) socket.resetAndDestroy();
      await closed;
    }
  }
  return {
    port,
    cut: stop,
    async restore() {
      server ??= await listen(port);
    },
    close: stop,
  };
}
