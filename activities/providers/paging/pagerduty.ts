// Request and answer shapes: the vendor's published API, as written in test/support/vendors/SOURCES.md.
import { z } from 'zod';
import { ProviderErrorType } from '../../../lib/providers/capabilities';
import type { Severity } from '../../../lib/domain/incident';
import { providerError } from '../errors';
import { field, VendorHttp, type VendorDeps } from '../vendor-http';
import type { PageEvent, PageReceipt, PagingProvider } from './paging.provider';

export const pagerDutyConfigSchema = z.strictObject({
  /** The Events API v2 host (POST /v2/enqueue under it). */
  eventsUrl: z.url().default('https://events.pagerduty.com'),
  /** Services Palisade pages, by the name runbooks/paging.yaml uses: each an Events API v2 integration's routing key. */
  services: z.record(z.string().min(1), z.strictObject({ /** SECRET */ routingKey: z.string().min(1) })).refine((s) => Object.keys(s).length > 0, 'name at least one service'),
  /** The service a notify step's recipient falls back to when no service has its name. */
  defaultService: z.string().min(1).optional(),
  /** SECRET (optional): the v3 webhook subscription's signing secret, for acknowledgements coming back. */
  webhookSecret: z.string().min(1).optional(),
  timeoutMs: z.number().int().positive().default(10_000),
});
export type PagerDutyConfig = z.input<typeof pagerDutyConfigSchema>;

const VENDOR = 'PagerDuty';
const SEVERITY: Record<Severity, 'critical' | 'error' | 'warning' | 'info'> = { critical: 'critical', high: 'error', medium: 'warning', low: 'info' };
const MAX_SUMMARY = 1024;
const MAX_DEDUP_KEY = 255;

/**
 * PagerDuty Events API v2 (POST /v2/enqueue): trigger, acknowledge and resolve one alert per
 * dedup key. 202 is accepted; 400 is a bad event (not retried); 429 and 5xx are retried by the
 * caller with backoff (Throttled, Unavailable).
 */
export class PagerDutyPaging implements PagingProvider {
  readonly config: z.output<typeof pagerDutyConfigSchema>;
  private readonly http: VendorHttp;

  constructor(config: PagerDutyConfig, deps: VendorDeps = {}) {
    this.config = pagerDutyConfigSchema.parse(config);
    this.http = new VendorHttp({
      vendor: VENDOR,
      baseUrl: this.config.eventsUrl,
      timeoutMs: this.config.timeoutMs,
      fetch: deps.fetch ?? fetch,
      now: deps.now ?? Date.now,
      secrets: () => [...Object.values(this.config.services).map((s) => s.routingKey), this.config.webhookSecret],
      deniedHint: "Check the service's Events API v2 integration key (routingKeyEnv under settings.pagerduty.services).",
    });
  }

  /** The Events API has no read-only call: the check says which services are configured and sends nothing. */
  check(): Promise<string> {
    const names = Object.keys(this.config.services);
    return Promise.resolve(`${names.length} service(s) configured (${names.join(', ')}); the Events API v2 has no read-only call, so nothing was sent`);
  }

  routingKeyFor(service: string): string {
    const s = this.config.services[service] ?? (this.config.defaultService ? this.config.services[this.config.defaultService] : undefined);
    if (!s) {
      throw providerError(
        ProviderErrorType.Invalid,
        `${VENDOR} has no service '${service}' in settings.pagerduty.services (configured: ${Object.keys(this.config.services).join(', ')}).`,
      );
    }
    return s.routingKey;
  }

  async send(event: PageEvent): Promise<PageReceipt> {
    const body: Record<string, unknown> = {
      routing_key: this.routingKeyFor(event.service),
      event_action: event.action,
      dedup_key: event.dedupKey.slice(0, MAX_DEDUP_KEY),
    };
    if (event.action === 'trigger') {
      body.payload = {
        summary: (event.summary ?? event.dedupKey).slice(0, MAX_SUMMARY),
        source: event.source ?? 'palisade',
        severity: SEVERITY[event.severity ?? 'high'],
        component: 'palisade',
        custom_details: event.details ?? {},
      };
      body.client = 'Palisade';
      if (event.link) {
        body.client_url = event.link;
        body.links = [{ href: event.link, text: 'Incident in Palisade' }];
      }
    }
    const res = await this.http.send(`${event.action} the page for '${event.dedupKey}'`, { method: 'POST', path: '/v2/enqueue', json: body });
    const key = field(res.body, 'dedup_key');
    const message = field(res.body, 'message');
    return { dedupKey: typeof key === 'string' ? key : event.dedupKey, message: typeof message === 'string' ? message : `HTTP ${res.status}` };
  }
}
