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
  /** While set, matching requests get this instead of the fake's answer (see `misbehave`). */
  misbehaviour?: Misbehaviour;
  /** Requests answered by `misbehaviour`. */
  misbehaved = 0;
  private server?: Server;
  private lifetime?: NodeJS.Timeout;

  constructor(
    private readonly handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
    private readonly internalError: (error: unknown) => unknown,
    private readonly errorBody: (status: number, message: string) => unknown = (_status, message) => ({ message }),
  ) {}

  async listen(lifetimeMs: number, onExpire: () => Promise<void>): Promise<string> {
    const server = createServer((req, res) => {
      const m = this.misbehaviour;
      if (m && (!m.when || m.when(req.method ?? '', new URL(req.url ?? '/', 'http://x').pathname))) {
        this.misbehaved++;
        return misbehave(m, req, res, this.errorBody);
      }
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

/**
 * Answers that are not the API's, as something between kafka-ops and the API server sends them
 * (SPEC.md of each fake says which real thing each stands for):
 * - `html`: an HTML page (a proxy's login page with 200, an ingress' 502 page with `status: 502`);
 * - `garbage-json`: `content-type: application/json` and bytes that are no JSON;
 * - `truncated-json`: the start of a JSON answer, `content-length` of the whole, then the connection cut;
 * - `redirect`: 302 to a login page (its URL carrying the request's credential when `echo`);
 * - `unauthorized` / `forbidden` / `error`: 401 / 403 / `status` (default 500) with the fake's own error body;
 * - `huge`: a 200 JSON body that does not end (until the client goes, at most 256 MiB);
 * - `hang`: the request is read and never answered.
 * With `echo`, the answer repeats the request's Authorization header, as a careless proxy might.
 */
export type Hostility = 'html' | 'garbage-json' | 'truncated-json' | 'redirect' | 'unauthorized' | 'forbidden' | 'error' | 'huge' | 'hang';

export interface Misbehaviour {
  answer: Hostility;
  /** HTTP status of an `html` answer (default 200) or an `error` one (default 500). */
  status?: number;
  echo?: boolean;
  /** Which requests get it (default: every one). */
  when?: (method: string, path: string) => boolean;
}

/** Sends `m`'s answer to `req`; `errorBody` is the fake's error object for a status and message. */
export function misbehave(
  m: Misbehaviour,
  req: IncomingMessage,
  res: ServerResponse,
  errorBody: (status: number, message: string) => unknown,
): void {
  const credential = m.echo ? (req.headers.authorization ?? '') : '';
  switch (m.answer) {
    case 'html': {
      const body = `<!DOCTYPE html><html><head><title>Sign in</title></head><body><form action="/login"><input type="hidden" name="auth" value="${credential}"></form>Please sign in</body></html>`;
      res.writeHead(m.status ?? 200, { 'content-type': 'text/html; charset=utf-8' });
      return void res.end(body);
    }
    case 'garbage-json':
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(Buffer.concat([Buffer.from([0xff, 0xfe, 0x00]), Buffer.from(`}{ not json ${credential}`)]));
    case 'truncated-json': {
      const whole = JSON.stringify({
        kind: 'Status',
        message: `the rest of this answer is lost ${credential}`,
        items: new Array(200).fill({ a: 1 }),
      });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(whole) });
      res.write(whole.slice(0, whole.length / 2));
      return void setTimeout(() => res.socket?.destroy(), 50);
    }
    case 'redirect':
      res.writeHead(302, {
        location: `https://sso.example.invalid/login?next=%2Fapi${credential ? `&auth=${encodeURIComponent(credential)}` : ''}`,
        'content-type': 'text/html',
      });
      return void res.end('<html><body>Found</body></html>');
    case 'unauthorized':
    case 'forbidden':
    case 'error': {
      const status = m.answer === 'unauthorized' ? 401 : m.answer === 'forbidden' ? 403 : (m.status ?? 500);
      const word = status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : 'Internal error';
      return send(res, status, errorBody(status, `${word}${credential ? `: ${credential}` : ''}`));
    }
    case 'huge': {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"items":[');
      const chunk = Buffer.from('{"name":"x","data":"' + 'x'.repeat(65_000) + '"},');
      let sent = 0;
      const pump = () => {
        while (!res.destroyed && sent < 256 * 1024 * 1024) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.on('close', () => (sent = Infinity));
      return pump();
    }
    case 'hang':
      return; // the socket stays open until the client goes or the server closes
  }
}
