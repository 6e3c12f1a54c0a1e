import { ProviderErrorType } from '../../../lib/providers/capabilities';
import { providerError } from '../errors';

/**
 * A small client for Prometheus's HTTP API (`/api/v1/query`, `/api/v1/query_range`). Every
 * failure becomes a typed provider error: a query Prometheus rejects is Invalid, an unreachable,
 * overloaded or timed-out Prometheus is Unavailable, refused credentials are Denied.
 */
export interface PrometheusClientOptions {
  baseUrl: string;
  bearerToken?: string;
  basicAuth?: { username: string; password: string };
  timeoutMs: number;
  fetch: typeof fetch;
}

/** One sample: Prometheus sends values as strings ("0.25", "NaN", "+Inf"). */
export interface PromSample {
  labels: Record<string, string>;
  /** Unix seconds. */
  at: number;
  value: number;
}

type PromValue = [number, string];
interface PromResponse {
  status: 'success' | 'error';
  data?:
    | { resultType: 'vector'; result: { metric: Record<string, string>; value: PromValue }[] }
    | { resultType: 'matrix'; result: { metric: Record<string, string>; values: PromValue[] }[] }
    | { resultType: 'scalar'; result: PromValue }
    | { resultType: 'string'; result: PromValue };
  errorType?: string;
  error?: string;
}

/** errorType values (Prometheus web/api/v1) a retry may cure. */
const TRANSIENT_ERROR_TYPES = ['timeout', 'canceled', 'unavailable', 'internal'];

export class PrometheusClient {
  constructor(private readonly opts: PrometheusClientOptions) {}

  /** An instant query at `time`. */
  instant(expr: string, time: Date): Promise<PromSample[]> {
    return this.get('/api/v1/query', { query: expr, time: seconds(time) });
  }

  /** A range query from `start` to `end`, one point per `stepSeconds`. */
  range(expr: string, start: Date, end: Date, stepSeconds: number): Promise<PromSample[]> {
    return this.get('/api/v1/query_range', { query: expr, start: seconds(start), end: seconds(end), step: String(stepSeconds) });
  }

  private async get(path: string, params: Record<string, string>): Promise<PromSample[]> {
    const url = `${this.opts.baseUrl.replace(/\/+$/, '')}${path}?${new URLSearchParams(params).toString()}`;
    let res: Response;
    let text: string;
    try {
      res = await this.opts.fetch(url, { headers: this.headers(), signal: AbortSignal.timeout(this.opts.timeoutMs) });
      text = await res.text();
    } catch (err) {
      const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
      const why = timedOut ? `no answer within ${this.opts.timeoutMs} ms` : describe(err);
      throw providerError(ProviderErrorType.Unavailable, `Prometheus at ${this.opts.baseUrl} did not answer: ${why}.`);
    }
    const body = parse(text);
    if (res.ok && body?.status === 'success' && body.data) return samples(body.data, params.query);
    throw this.failure(res.status, body, text, params.query);
  }

  private failure(status: number, body: PromResponse | undefined, text: string, expr: string): Error {
    const where = `Prometheus at ${this.opts.baseUrl}`;
    if (status === 401 || status === 403) {
      return providerError(ProviderErrorType.Denied, `${where} refused the credentials (HTTP ${status}); check the bearer token or basic auth in the prometheus settings.`);
    }
    if (status === 429) return providerError(ProviderErrorType.Throttled, `${where} asked to slow down (HTTP 429).`);
    if (body?.status === 'error') {
      const message = `${where} rejected the query \`${expr}\`: ${body.errorType ?? 'error'}: ${body.error ?? '(no message)'}`;
      if (TRANSIENT_ERROR_TYPES.includes(body.errorType ?? '') || status >= 500) return providerError(ProviderErrorType.Unavailable, message, [{ errorType: body.errorType }]);
      // bad_data (400, e.g. a PromQL syntax error) and execution (422): the query itself is wrong.
      return providerError(ProviderErrorType.Invalid, `${message}. Fix the PromQL in the prometheus settings.`, [{ errorType: body.errorType }]);
    }
    const snippet = text.slice(0, 200).replace(/\s+/g, ' ');
    if (status >= 500) return providerError(ProviderErrorType.Unavailable, `${where} failed with HTTP ${status}: ${snippet}`);
    if (status === 404) return providerError(ProviderErrorType.Invalid, `${where} has no query API (HTTP 404); check baseUrl (e.g. http://prometheus:9090, without /api/v1).`);
    return providerError(ProviderErrorType.Invalid, `${where} answered HTTP ${status} and not a Prometheus API response: ${snippet}`);
  }

  private headers(): Record<string, string> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.opts.bearerToken) headers.authorization = `Bearer ${this.opts.bearerToken}`;
    else if (this.opts.basicAuth) {
      const { username, password } = this.opts.basicAuth;
      headers.authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
    }
    return headers;
  }
}

function samples(data: NonNullable<PromResponse['data']>, expr: string): PromSample[] {
  switch (data.resultType) {
    case 'vector':
      return data.result.map((r) => sample(r.metric, r.value));
    case 'matrix':
      return data.result.flatMap((r) => r.values.map((v) => sample(r.metric, v)));
    case 'scalar':
      return [sample({}, data.result)];
    default:
      throw providerError(ProviderErrorType.Invalid, `The query \`${expr}\` returns a ${data.resultType}, not a number.`);
  }
}

function sample(labels: Record<string, string>, [at, raw]: PromValue): PromSample {
  return { labels, at, value: raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw) };
}

function parse(text: string): PromResponse | undefined {
  try {
    const body = JSON.parse(text) as unknown;
    return body && typeof body === 'object' && 'status' in body ? (body as PromResponse) : undefined;
  } catch {
    return undefined;
  }
}

function seconds(d: Date): string {
  return (d.getTime() / 1000).toFixed(3);
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? `: ${(err.cause as NodeJS.ErrnoException).code ?? err.cause.message}` : '';
  return `${err.message}${cause}`;
}
