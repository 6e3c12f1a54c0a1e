import type { CliSettings } from '../../../lib/config/cli';
import { describeError } from '../../../lib/errors';
import { CliError, EXIT, exitCodeForStatus } from './exit-codes';

/** The global options every API command reads (`palisade --api … --token …`). */
export interface ApiOptions {
  api?: string;
  token?: string;
}

export type Query = Record<string, string | number | undefined>;

/** How long an ordinary request may take (a vote waits for the playbook: up to 10 s). */
const REQUEST_TIMEOUT_MS = 30_000;

/**
 * The Palisade API as the CLI calls it: base URL from --api, else PALISADE_API_URL, else
 * http://HOST:PORT; the token from --token, else PALISADE_TOKEN, sent as `Authorization:
 * Bearer`. Every failure becomes a CliError whose exit code says what kind it was.
 */
export class ApiClient {
  readonly baseUrl: string;
  private readonly token: string | undefined;
  private readonly urlFrom: string;

  constructor(opts: ApiOptions, settings: CliSettings) {
    this.baseUrl = (opts.api ?? settings.apiUrl).replace(/\/+$/, '');
    this.urlFrom = opts.api ? '--api' : settings.apiUrlFrom;
    this.token = opts.token ?? settings.token;
    if (opts.api !== undefined && !/^https?:\/\/[^/]/.test(opts.api)) {
      throw new CliError(EXIT.usage, 'invalid_api_url', `--api '${opts.api}' is not an http(s) URL.`, 'Pass the API base URL, e.g. --api http://127.0.0.1:3000.');
    }
  }

  get<T>(path: string, query?: Query): Promise<T> {
    return this.json<T>('GET', path, { query });
  }

  post<T>(path: string, body: unknown, query?: Query): Promise<T> {
    return this.json<T>('POST', path, { query, body });
  }

  patch<T>(path: string, body: unknown): Promise<T> {
    return this.json<T>('PATCH', path, { body });
  }

  delete<T>(path: string, query?: Query): Promise<T> {
    return this.json<T>('DELETE', path, { query });
  }

  /** A text answer (a rendered postmortem) with its content type. */
  async text(path: string, query?: Query): Promise<{ text: string; contentType: string }> {
    const res = await this.send('GET', path, { query });
    return { text: await res.text(), contentType: res.headers.get('content-type') ?? '' };
  }

  /**
   * A request whose answer is read as it comes (the timeline stream): no timeout beyond
   * `signal`; throws a CliError on a network failure or a non-2xx answer.
   */
  open(path: string, opts: { query?: Query; headers?: Record<string, string>; signal: AbortSignal }): Promise<Response> {
    return this.send('GET', path, { ...opts, stream: true });
  }

  /**
   * POSTs a body exactly as given (bytes that were signed) with the caller's headers and no API
   * token: webhooks prove their sender with the source's own secret.
   */
  async postSigned<T>(path: string, body: Buffer, headers: Record<string, string>): Promise<{ status: number; body: T }> {
    const res = await this.send('POST', path, { raw: body, headers, anonymous: true });
    const text = await res.text();
    try {
      return { status: res.status, body: JSON.parse(text) as T };
    } catch {
      throw new CliError(EXIT.unavailable, 'invalid_answer', `POST ${path} answered ${res.status} with something that is not JSON: ${text.slice(0, 120)}`, `Is ${this.baseUrl} a Palisade API?`);
    }
  }

  url(path: string, query?: Query): string {
    const url = new URL(`${this.baseUrl}${path}`);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
    return url.toString();
  }

  private async json<T>(method: string, path: string, opts: { query?: Query; body?: unknown }): Promise<T> {
    const res = await this.send(method, path, opts);
    const text = await res.text();
    try {
      return (text ? JSON.parse(text) : undefined) as T;
    } catch {
      throw new CliError(EXIT.unavailable, 'invalid_answer', `${method} ${path} answered ${res.status} with something that is not JSON: ${text.slice(0, 120)}`, `Is ${this.baseUrl} a Palisade API? Check --api / PALISADE_API_URL.`);
    }
  }

  private async send(
    method: string,
    path: string,
    opts: { query?: Query; body?: unknown; raw?: Buffer; headers?: Record<string, string>; signal?: AbortSignal; stream?: boolean; anonymous?: boolean },
  ): Promise<Response> {
    const headers: Record<string, string> = { accept: opts.stream ? 'text/event-stream' : 'application/json, text/*' };
    if (this.token && !opts.anonymous) headers.authorization = `Bearer ${this.token}`;
    if (opts.body !== undefined || opts.raw !== undefined) headers['content-type'] = 'application/json';
    Object.assign(headers, opts.headers);
    let res: Response;
    try {
      res = await fetch(this.url(path, opts.query), {
        method,
        headers,
        body: opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body)),
        signal: opts.signal ?? AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      throw this.unreachable(err);
    }
    if (!res.ok) throw await this.refused(method, path, res, opts.anonymous === true);
    return res;
  }

  /** The API did not answer (refused, DNS, timeout): exit 5. */
  unreachable(err: unknown): CliError {
    const timedOut = err instanceof Error && err.name === 'TimeoutError';
    const cause = err instanceof Error && err.cause !== undefined ? err.cause : err;
    const why = timedOut ? `no answer within ${REQUEST_TIMEOUT_MS / 1000} s` : describeError(cause);
    const hint =
      this.urlFrom === 'HOST/PORT'
        ? `Start Palisade (\`npm start\`), or point --api or PALISADE_API_URL at a running API.`
        : `Check that the API runs at that address (it came from ${this.urlFrom}).`;
    return new CliError(EXIT.unavailable, 'api_unreachable', `The Palisade API at ${this.baseUrl} did not answer: ${why}.`, hint, { cause: err });
  }

  /** A non-2xx answer, printed as the API's `{error, message, hint}`. */
  private async refused(method: string, path: string, res: Response, anonymous: boolean): Promise<CliError> {
    const text = await res.text().catch(() => '');
    let body: { error?: unknown; message?: unknown; hint?: unknown } = {};
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      // Not Palisade's error shape (a proxy's page): described below.
    }
    const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
    const code = str(body.error) ?? `http_${res.status}`;
    const message = str(body.message) ?? `${method} ${path} answered ${res.status} ${res.statusText}${text ? `: ${text.slice(0, 200)}` : ''}.`;
    let hint = str(body.hint) ?? (res.status >= 500 ? 'The API logs say more.' : `Is ${this.baseUrl} a Palisade API?`);
    if (res.status === 401 && !this.token && !anonymous) hint = `No token was sent: set PALISADE_TOKEN or pass --token. ${hint}`;
    return new CliError(exitCodeForStatus(res.status), code, message, hint, { status: res.status });
  }
}
