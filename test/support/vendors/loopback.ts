import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** What the failure switches make a vendor do instead of answering. */
export type FailureKind = '5xx' | '429' | 'timeout' | 'denied';

export interface RecordedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface VendorReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** Thrown by a handler to answer with an error status. */
export class Reply extends Error {
  constructor(readonly reply: VendorReply) {
    super(`HTTP ${reply.status}`);
  }
}

interface Failure {
  kind: FailureKind;
  left: number;
  on: 'api' | 'token' | 'any';
}

/**
 * A loopback HTTP server standing in for one vendor's API: records every request, answers
 * from the real state a subclass keeps, and fails on purpose when a switch is set.
 */
export abstract class LoopbackVendor {
  readonly requests: RecordedRequest[] = [];
  private readonly failures: Failure[] = [];
  private readonly sockets = new Set<Socket>();
  private server?: Server;
  url = '';
  /** Told of every request and the status it was answered (npm run fakes prints them). */
  onReply?: (req: RecordedRequest, status: number | 'no answer') => void;

  /** True for the token (or login) endpoint, which failure switches skip unless asked. */
  protected abstract isToken(req: RecordedRequest): boolean;
  /** The vendor's error body for a status. */
  protected abstract errorBody(status: number, message: string): unknown;
  /** The headers a 429 carries (Retry-After or the vendor's own). */
  protected abstract throttleHeaders(): Record<string, string>;
  protected abstract handle(req: RecordedRequest): VendorReply | Promise<VendorReply>;

  /** Listens on loopback: a free port, or `port` (npm run fakes uses fixed ones). */
  async start(port = 0): Promise<this> {
    const server = createServer((req, res) => void this.serve(req, res));
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    this.server = server;
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  /** The next `times` requests (API ones unless `on` says otherwise) fail as `kind`. */
  fail(kind: FailureKind, { times = 1, on = 'api' }: { times?: number; on?: Failure['on'] } = {}): void {
    this.failures.push({ kind, left: times, on });
  }

  /** Forgets every failure switch still set: the vendor answers again. */
  heal(): void {
    this.failures.length = 0;
  }

  /** Recorded requests to a path (prefix) and method. */
  calls(method: string, pathPrefix: string): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && r.path.startsWith(pathPrefix));
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', 'http://loopback');
    const recorded: RecordedRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
    this.requests.push(recorded);

    const token = this.isToken(recorded);
    const failure = this.failures.find((f) => f.left > 0 && (f.on === 'any' || (f.on === 'token') === token));
    let reply: VendorReply;
    if (failure) {
      failure.left--;
      if (failure.kind === 'timeout') return this.onReply?.(recorded, 'no answer'); // never answered; the socket is destroyed on close
      reply = this.failureReply(failure.kind);
    } else {
      try {
        reply = await this.handle(recorded);
      } catch (err) {
        if (!(err instanceof Reply)) throw err;
        reply = err.reply;
      }
    }
    const body = reply.body === undefined ? '' : JSON.stringify(reply.body);
    res.writeHead(reply.status, { ...(body ? { 'content-type': 'application/json' } : {}), ...reply.headers });
    res.end(body);
    this.onReply?.(recorded, reply.status);
  }

  private failureReply(kind: Exclude<FailureKind, 'timeout'>): VendorReply {
    if (kind === '5xx') return { status: 503, body: this.errorBody(503, 'service unavailable (failure switch)') };
    if (kind === '429') return { status: 429, body: this.errorBody(429, 'too many requests (failure switch)'), headers: this.throttleHeaders() };
    return { status: 403, body: this.errorBody(403, 'access denied (failure switch)') };
  }
}

/** The bearer token of a request, if any. */
export function bearer(req: RecordedRequest): string | undefined {
  const m = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '');
  return m?.[1];
}

export function json(req: RecordedRequest): any {
  return req.body ? JSON.parse(req.body) : undefined;
}

/** Bearer tokens issued by a token endpoint, each valid for `expiresIn` seconds. */
export class IssuedTokens {
  private readonly tokens = new Map<string, number>();
  private n = 0;
  expiresIn: number;

  constructor(expiresIn: number) {
    this.expiresIn = expiresIn;
  }

  issue(): string {
    const token = `tok-${++this.n}-${Math.random().toString(36).slice(2)}`;
    this.tokens.set(token, Date.now() + this.expiresIn * 1000);
    return token;
  }

  valid(token: string | undefined): boolean {
    const until = token ? this.tokens.get(token) : undefined;
    return until !== undefined && Date.now() < until;
  }

  /** Every token issued so far stops working (as if revoked). */
  revokeAll(): void {
    this.tokens.clear();
  }

  get issued(): number {
    return this.n;
  }
}
