import { z } from 'zod';
import { DURATION_PATTERN, durationMs } from '../../../lib/duration';
import { PalisadeError } from '../../../lib/errors';
import { ProviderErrorType, type ProviderCall, type SliQuery, type SliReading } from '../../../lib/providers/capabilities';
import { providerError } from '../errors';
import type { MetricsProvider } from './metrics.provider';
import { PrometheusClient, type PromSample } from './prometheus-api';

/**
 * PromQL templates may use `{{sli}}` (the SLI's name), `{{hosts}}` (a regular expression
 * matching exactly the hosts asked about, `.*` when the query names none) and `{{window}}`
 * (the look-back window as a PromQL duration, e.g. `600s`).
 */
const PLACEHOLDERS = ['sli', 'hosts', 'window'] as const;
const PLACEHOLDER = /\{\{\s*([a-zA-Z]+)\s*\}\}/g;

/** The simulated fleet's exporter (GET /fleet/metrics): one `palisade_sim_sli{sli, host}` series per SLI and host in service. */
export const SIMULATED_FLEET_PROMQL = 'max(palisade_sim_sli{sli="{{sli}}", host=~"{{hosts}}"})';

const duration = z.string().regex(DURATION_PATTERN, 'expected a duration such as 30s, 5m or 1h');
const template = z
  .string()
  .min(1)
  .refine((t) => [...t.matchAll(PLACEHOLDER)].every((m) => (PLACEHOLDERS as readonly string[]).includes(m[1])), {
    message: `unknown placeholder; templates may use ${PLACEHOLDERS.map((p) => `{{${p}}}`).join(', ')}`,
  });

/** The `prometheus` vendor's settings (runbooks/providers.yaml `settings.prometheus`, secrets resolved). */
export const prometheusMetricsConfigSchema = z
  .object({
    /** Where Prometheus (or a compatible API: Thanos, Mimir, VictoriaMetrics) answers, e.g. http://prometheus:9090. */
    baseUrl: z.url(),
    bearerToken: z.string().min(1).optional().meta({ secret: true }),
    basicAuth: z
      .object({ username: z.string().min(1), password: z.string().min(1).meta({ secret: true }) })
      .strict()
      .optional(),
    /** How long one HTTP request may take. */
    timeout: duration.default('10s'),
    /** instant: the value now. range: the worst (highest) value over the window, one point per `step`. */
    mode: z.enum(['instant', 'range']).default('instant'),
    step: duration.default('15s'),
    /** The window when a query names none. */
    defaultWindow: duration.default('5m'),
    /** PromQL per SLI name, e.g. error_rate: sum(rate(http_errors_total{host=~"{{hosts}}"}[{{window}}])) / sum(rate(http_requests_total{host=~"{{hosts}}"}[{{window}}])) */
    slis: z.record(z.string().min(1), template).default({}),
    /** PromQL for an SLI not in `slis`: by default the worst series of the metric named after the SLI. */
    defaultQuery: template.default('max({{sli}}{host=~"{{hosts}}"})'),
  })
  .strict()
  .refine((c) => !(c.bearerToken && c.basicAuth), { message: 'give bearerToken or basicAuth, not both' });

export type PrometheusMetricsConfig = z.input<typeof prometheusMetricsConfigSchema>;

/** The same shape as the other HTTP vendors' deps (vendor-http.ts VendorDeps): both optional. */
export interface PrometheusMetricsDeps {
  /** Defaults to the global fetch. */
  fetch?: typeof fetch;
  /** Milliseconds since the epoch: the evaluation time of each query. */
  now?: () => number;
}

/**
 * Reads an SLI with PromQL. When the answer has several series (or, in range mode, several
 * points), the reading is the worst — the highest — and `samples` says how many counted.
 * No data is never healthy: an empty answer, or one of NaN only (e.g. 0/0 with no traffic),
 * is a NotFound error, so a canary gate stops instead of passing. +Inf reads as
 * Number.MAX_VALUE (worse than any threshold, and it survives JSON).
 */
export class PrometheusMetrics implements MetricsProvider {
  private readonly config: z.output<typeof prometheusMetricsConfigSchema>;
  private readonly client: PrometheusClient;
  private readonly now: () => number;

  constructor(config: PrometheusMetricsConfig, deps: PrometheusMetricsDeps = {}) {
    const parsed = prometheusMetricsConfigSchema.safeParse(config);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(settings)'}: ${i.message}`).join('; ');
      throw new PalisadeError('providers_invalid', `The prometheus metrics settings are invalid: ${problems}.`, 'Fix settings.prometheus in runbooks/providers.yaml.');
    }
    this.config = parsed.data;
    this.now = deps.now ?? Date.now;
    this.client = new PrometheusClient({
      baseUrl: this.config.baseUrl,
      bearerToken: this.config.bearerToken,
      basicAuth: this.config.basicAuth,
      timeoutMs: durationMs(this.config.timeout),
      fetch: deps.fetch ?? fetch,
    });
  }

  /** An instant query of `vector(1)`: Prometheus answers PromQL with these credentials. */
  async check(): Promise<string> {
    await this.client.instant('vector(1)', new Date(this.now()));
    return 'PromQL answered';
  }

  async query(_call: ProviderCall, query: SliQuery): Promise<SliReading> {
    const windowMs = durationMs(checkedWindow(query.window ?? this.config.defaultWindow));
    const expr = this.promql(query, windowMs);
    const end = new Date(this.now());
    const found =
      this.config.mode === 'range'
        ? await this.client.range(expr, new Date(end.getTime() - windowMs), end, durationMs(this.config.step) / 1000)
        : await this.client.instant(expr, end);
    return reading(query, expr, found);
  }

  /** The PromQL this provider runs for `query` (shown in errors and useful when writing templates). */
  promql(query: SliQuery, windowMs = durationMs(this.config.defaultWindow)): string {
    const template = this.config.slis[query.sli] ?? this.config.defaultQuery;
    const values: Record<(typeof PLACEHOLDERS)[number], () => string> = {
      sli: () => metricSafe(query.sli),
      hosts: () => hostsRegex(query.hostIds),
      window: () => `${Math.max(1, Math.round(windowMs / 1000))}s`,
    };
    return template.replace(PLACEHOLDER, (_m, name: (typeof PLACEHOLDERS)[number]) => values[name]());
  }
}

function reading(query: SliQuery, expr: string, found: PromSample[]): SliReading {
  const usable = found.filter((s) => !Number.isNaN(s.value));
  if (usable.length === 0) {
    const what = found.length === 0 ? 'no series matched' : `all ${found.length} sample(s) were NaN`;
    throw providerError(
      ProviderErrorType.NotFound,
      `Prometheus has no data for SLI '${query.sli}' (${what}; query \`${expr}\`). No data is not a healthy reading: check that the hosts are scraped and that the query's metric and labels exist.`,
    );
  }
  const values = usable.map((s) => Math.max(-Number.MAX_VALUE, Math.min(Number.MAX_VALUE, s.value)));
  const latest = Math.max(...usable.map((s) => s.at));
  return { sli: query.sli, value: Math.max(...values), samples: usable.length, at: new Date(latest * 1000).toISOString() };
}

function checkedWindow(window: string): string {
  if (!DURATION_PATTERN.test(window)) throw providerError(ProviderErrorType.Invalid, `'${window}' is not a window such as 30s, 5m or 1h.`);
  return window;
}

/** SLI names go into PromQL as metric names or label values: only metric-name characters are let through. */
function metricSafe(sli: string): string {
  if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(sli)) {
    throw providerError(ProviderErrorType.Invalid, `SLI name '${sli}' is not a Prometheus metric name ([a-zA-Z_:][a-zA-Z0-9_:]*); give it its own PromQL in settings.prometheus.slis.`);
  }
  return sli;
}

/** A regular expression matching exactly these hosts, escaped for a PromQL double-quoted string. */
function hostsRegex(hostIds: string[] | undefined): string {
  if (hostIds === undefined) return '.*';
  if (hostIds.length === 0) throw providerError(ProviderErrorType.NotFound, 'No hosts were given to read the SLI on, so there is no data to read.');
  for (const id of hostIds) {
    if (id.length === 0 || /[\p{Cc}]/u.test(id)) throw providerError(ProviderErrorType.Invalid, `Host id ${JSON.stringify(id)} cannot be matched in PromQL.`);
  }
  const regex = hostIds.map((id) => id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
  return regex.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}
