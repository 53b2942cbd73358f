/** The two HTTP chores every fake server here needs: reading a request body, answering JSON. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export function send(res: ServerResponse, code: number, body: unknown): void {
  if (res.headersSent) return void res.end();
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** A JSON API server on 127.0.0.1 and an ephemeral port that closes itself after `lifetimeMs`. */
export class LoopbackServer {
  url = '';
  private server?: Server;
  private lifetime?: NodeJS.Timeout;

  constructor(
    private readonly handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
    private readonly internalError: (error: unknown) => unknown,
  ) {}

  async listen(lifetimeMs: number, onExpire: () => Promise<void>): Promise<string> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => send(res, 500, this.internalError(error)));
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    this.lifetime = setTimeout(() => void onExpire(), lifetimeMs);
    this.lifetime.unref();
    return this.url;
  }

  async close(): Promise<void> {
    clearTimeout(this.lifetime);
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}

/**
 * Milliseconds from `since` until a request to `url` is refused (the fake's lifetime ended), polled
 * every 100 ms; -1 when it still answers `deadlineMs` after `since`.
 */
export async function msUntilRefused(url: string, since: number, deadlineMs: number): Promise<number> {
  while (Date.now() - since < deadlineMs) {
    await new Promise((r) => setTimeout(r, 100));
    const refused = await fetch(url).then(
      () => false,
      () => true,
    );
    if (refused) return Date.now() - since;
  }
  return -1;
}
