import type { ApplicationFailure } from '@temporalio/common';
import { ProviderErrorType } from '../../lib/providers/capabilities';
import { providerError } from './errors';
import { inSpan, SpanKind } from '../../lib/telemetry/tracing';

export type Fetch = typeof fetch;

/** What a real vendor provider may be handed besides its config: both optional. */
export interface VendorDeps {
  /** Defaults to the global fetch. */
  fetch?: Fetch;
  /** Milliseconds since the epoch, for token expiry (tests move it forward). */
  now?: () => number;
}

export interface VendorRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path and query string, appended to the base URL. */
  path: string;
  headers?: Record<string, string>;
  json?: unknown;
  form?: Record<string, string>;
}

export interface VendorResponse {
  status: number;
  headers: Headers;
  body: unknown;
}

interface HttpOptions {
  /** The vendor's name as messages show it, e.g. "CrowdStrike Falcon". */
  vendor: string;
  baseUrl: string;
  timeoutMs: number;
  fetch: Fetch;
  /** Values that must never appear in an error message (client secrets, tokens). */
  secrets: () => (string | undefined)[];
  now: () => number;
  /** Added to Denied errors: which permission or scope the credentials need. */
  deniedHint?: string;
}

const DEFAULT_RETRY_AFTER_MS = 1000;

/**
 * One vendor's HTTP: every request has a timeout, and every answer outside 2xx becomes a
 * provider error typed by status (401/403 Denied, 404 NotFound, 429 Throttled with
 * retryAfterMs, 5xx Unavailable, other 4xx Invalid). Network failures and timeouts are
 * Unavailable. Messages carry the vendor's own error text with every secret scrubbed.
 */
export class VendorHttp {
  private readonly base: string;

  private readonly host: string;

  constructor(private readonly o: HttpOptions) {
    this.base = o.baseUrl.replace(/\/+$/, '');
    this.host = URL.canParse(this.base) ? new URL(this.base).hostname : 'unknown';
  }

  /** Sends a request and returns whatever status came back; only the network can fail here. */
  async raw(what: string, req: VendorRequest): Promise<VendorResponse> {
    const headers: Record<string, string> = { accept: 'application/json', ...req.headers };
    let body: string | undefined;
    if (req.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(req.form).toString();
    } else if (req.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(req.json);
    }
    try {
      // A span per call under the activity's: method, host and status only (never the path's ids, headers or body).
      const attributes = { 'http.request.method': req.method, 'server.address': this.host, 'palisade.vendor': this.o.vendor };
      return await inSpan(`HTTP ${req.method}`, { kind: SpanKind.CLIENT, attributes }, async (span) => {
        const res = await this.o.fetch(this.base + req.path, { method: req.method, headers, body, signal: AbortSignal.timeout(this.o.timeoutMs) });
        span.setAttribute('http.response.status_code', res.status);
        const text = await res.text();
        return { status: res.status, headers: res.headers, body: parseBody(text) };
      });
    } catch (err) {
      const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
      const why = timedOut ? `did not answer within ${this.o.timeoutMs} ms` : `could not be reached (${networkReason(err)})`;
      throw providerError(ProviderErrorType.Unavailable, this.scrub(`${this.o.vendor} ${why} while trying to ${what}.`));
    }
  }

  /** The response when it is 2xx, else the typed provider error for it. */
  check(what: string, res: VendorResponse): VendorResponse {
    if (res.status >= 200 && res.status < 300) return res;
    throw this.failure(what, res);
  }

  async send(what: string, req: VendorRequest): Promise<VendorResponse> {
    return this.check(what, await this.raw(what, req));
  }

  /** The provider error an HTTP status (or an error code inside a 2xx body) stands for. */
  failure(what: string, res: { status: number; headers?: Headers; body?: unknown }): ApplicationFailure {
    const said = vendorMessage(res.body);
    const detail = `HTTP ${res.status}${said ? `: ${said}` : ''}`;
    const say = (type: ProviderErrorType, text: string, details?: unknown[]) => providerError(type, this.scrub(text), details);
    const v = this.o.vendor;
    // GitHub answers 403 (not 429) when a rate limit is hit, with these headers.
    const rateLimited = res.status === 429 || (res.status === 403 && (res.headers?.get('x-ratelimit-remaining') === '0' || !!res.headers?.has('retry-after')));
    if (rateLimited) {
      const retryAfterMs = this.retryAfterMs(res.headers);
      return say(ProviderErrorType.Throttled, `${v} throttled the request to ${what} (${detail}); retry after ${retryAfterMs} ms.`, [{ retryAfterMs }]);
    }
    if (res.status === 401 || res.status === 403) {
      return say(ProviderErrorType.Denied, `${v} denied the request to ${what} (${detail}).${this.o.deniedHint ? ` ${this.o.deniedHint}` : ''}`);
    }
    if (res.status === 404) return say(ProviderErrorType.NotFound, `${v} does not know the target of ${what} (${detail}).`);
    if (res.status >= 500) return say(ProviderErrorType.Unavailable, `${v} failed to ${what} (${detail}).`);
    return say(ProviderErrorType.Invalid, `${v} rejected the request to ${what} (${detail}).`);
  }

  /** Retry-After (seconds or a date), or a rate-limit reset time (epoch seconds) or period (seconds), in ms from now. */
  private retryAfterMs(headers: Headers | undefined): number {
    const now = this.o.now();
    const after = headers?.get('retry-after');
    if (after) {
      const seconds = Number(after);
      if (Number.isFinite(seconds)) return Math.max(0, Math.round(seconds * 1000));
      const at = Date.parse(after);
      if (Number.isFinite(at)) return Math.max(0, at - now);
    }
    const reset = headers?.get('x-ratelimit-retryafter') ?? headers?.get('x-ratelimit-reset');
    if (reset && Number.isFinite(Number(reset))) return Math.max(0, Number(reset) * 1000 - now);
    // Opsgenie: the length of the throttling period, in seconds.
    const period = headers?.get('x-ratelimit-period-in-sec');
    if (period && Number.isFinite(Number(period))) return Math.max(0, Number(period) * 1000);
    return DEFAULT_RETRY_AFTER_MS;
  }

  /** Removes every configured secret from a text before it can reach an error or a log. */
  scrub(text: string): string {
    let out = text;
    for (const secret of this.o.secrets()) if (secret && secret.length >= 4) out = out.split(secret).join('[redacted]');
    return out;
  }
}

/** fetch says only "fetch failed": the reason (ECONNREFUSED, a DNS failure) is in its cause. */
function networkReason(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause;
  if (cause instanceof Error) return `${err.message}: ${(cause as NodeJS.ErrnoException).code ?? cause.message}`;
  return err.message;
}

function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** The vendor's own error text, from whichever shape it uses, cut short. */
function vendorMessage(body: unknown): string {
  const texts: string[] = [];
  if (typeof body === 'string') texts.push(body);
  else if (body && typeof body === 'object') {
    const b = body as Record<string, unknown>;
    // GitHub {message}; Defender {error: {code, message}}; Vault {errors: [text]}; Falcon {errors: [{code, message}]}.
    if (typeof b.message === 'string') texts.push(b.message);
    if (b.error && typeof b.error === 'object') {
      const e = b.error as Record<string, unknown>;
      texts.push([e.code, e.message].filter((x) => typeof x === 'string').join(': '));
    } else if (typeof b.error === 'string') texts.push(b.error);
    // OAuth2 token endpoints (Microsoft Entra): {error, error_description}.
    if (typeof b.error_description === 'string') texts.push(b.error_description);
    if (Array.isArray(b.errors)) {
      for (const e of b.errors) texts.push(typeof e === 'string' ? e : typeof (e as { message?: unknown })?.message === 'string' ? (e as { message: string }).message : '');
    }
  }
  const text = texts.filter(Boolean).join('; ').replace(/\s+/g, ' ').trim();
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

interface IssuedToken {
  token: string;
  /** Lifetime in seconds, as the vendor said. */
  expiresIn: number;
}

/**
 * A bearer token kept until shortly before it expires (a tenth of its life, at most a
 * minute, early), fetched once however many calls ask for it at the same time.
 */
export class TokenCache {
  private current?: { token: string; refreshAt: number };
  private pending?: Promise<string>;

  constructor(
    private readonly issue: () => Promise<IssuedToken>,
    private readonly now: () => number,
  ) {}

  async get(): Promise<string> {
    if (this.current && this.now() < this.current.refreshAt) return this.current.token;
    this.pending ??= this.issue()
      .then(({ token, expiresIn }) => {
        const lifeMs = Math.max(0, expiresIn) * 1000;
        this.current = { token, refreshAt: this.now() + lifeMs - Math.min(60_000, lifeMs / 10) };
        return token;
      })
      .finally(() => (this.pending = undefined));
    return this.pending;
  }

  /** Forgets a token the vendor no longer accepts (only if it is still the current one). */
  invalidate(token: string): void {
    if (this.current?.token === token) this.current = undefined;
  }

  /** The token held now, if any: scrubbed from messages. */
  peek(): string | undefined {
    return this.current?.token;
  }
}

/**
 * Sends a request with a cached token; when the vendor answers `staleStatus` (the token was
 * revoked or expired early) the token is dropped and the request sent once more with a new one.
 */
export async function withToken(...args: Parameters<typeof rawWithToken>): Promise<VendorResponse> {
  const [http, , what] = args;
  return http.check(what, await rawWithToken(...args));
}

/** As `withToken`, but whatever status came back (only the network, or the token request, can fail here). */
export async function rawWithToken(
  http: VendorHttp,
  tokens: TokenCache,
  what: string,
  req: VendorRequest,
  auth: (token: string) => Record<string, string>,
  staleStatus = 401,
): Promise<VendorResponse> {
  const send = async () => {
    const token = await tokens.get();
    return { token, res: await http.raw(what, { ...req, headers: { ...req.headers, ...auth(token) } }) };
  };
  let { token, res } = await send();
  if (res.status === staleStatus) {
    tokens.invalidate(token);
    ({ token, res } = await send());
  }
  return res;
}

/** A string field of a JSON object, or undefined. */
export function field(body: unknown, ...path: string[]): unknown {
  let at: unknown = body;
  for (const key of path) {
    if (!at || typeof at !== 'object') return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}
