/**
 * Small hostile TCP servers on 127.0.0.1 for issue 14: they accept a connection and then
 * stall, talk garbage, or answer HTTP with HTML. Each lives at most `lifetimeMs` (its sockets
 * destroyed then), and `close()` ends it at once, so a test that fails leaves nothing behind.
 */
import { createServer, type Server, type Socket } from 'node:net';

export type Behaviour =
  /** Accept and never send a byte. */
  | 'stall'
  /** Accept and send bytes that are no protocol at all. */
  | 'garbage'
  /** An SSH identification line, then a malformed binary packet (ssh2: "Bad packet length"). */
  | 'ssh-banner-then-garbage'
  /** An HTTP 200 whose body is an HTML page (a proxy's login page, say). */
  | 'http-html';

export interface HostileServer {
  port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  close(): Promise<void>;
}

export async function startHostileServer(behaviour: Behaviour, lifetimeMs = 60_000): Promise<HostileServer> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server: Server = createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    if (behaviour === 'garbage') socket.write(Buffer.alloc(4096, 0x41));
    if (behaviour === 'ssh-banner-then-garbage') {
      socket.write('SSH-2.0-OpenSSH_9.6\r\n');
      socket.write(Buffer.from([0xff, 0xff, 0xff, 0xf0, 1, 2, 3, 4, 5, 6, 7, 8]));
    }
    if (behaviour === 'http-html') {
      socket.once('data', () => {
        const body = '<!DOCTYPE html><html><head><title>Sign in</title></head><body>Please sign in</body></html>';
        socket.end(
          `HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
        );
      });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const close = () =>
    new Promise<void>((resolve) => {
      clearTimeout(timer);
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  const timer = setTimeout(() => void close(), lifetimeMs);
  timer.unref();
  return {
    port: (server.address() as { port: number }).port,
    get accepted() {
      return accepted;
    },
    close,
  };
}
