// Request and answer shapes: the vendor's published API, as written in test/support/vendors/SOURCES.md.
import { z } from 'zod';
import type { Severity } from '../../../lib/domain/incident';
import { ProviderErrorType } from '../../../lib/providers/capabilities';
import type { Checkable } from '../check';
import { providerError } from '../errors';
import { field, VendorHttp, type VendorDeps } from '../vendor-http';
import type { PageEvent, PageReceipt, PagingProvider } from './paging.provider';

const PRIORITIES = ['P1', 'P2', 'P3', 'P4', 'P5'] as const;
type Priority = (typeof PRIORITIES)[number];

/** A responder as Opsgenie's alert API names one: a team, user, escalation or schedule, by id or by name (username for a user). */
const responderSchema = z
  .strictObject({
    type: z.enum(['team', 'user', 'escalation', 'schedule']),
    id: z.string().min(1).optional(),
    name: z.string().min(1).optional(),
    username: z.string().min(1).optional(),
  })
  .refine((r) => r.id !== undefined || r.name !== undefined || r.username !== undefined, 'give the responder an id, a name, or (a user) a username');

export const opsgenieConfigSchema = z.strictObject({
  /**
   * The alert API's base: https://api.opsgenie.com, https://api.eu.opsgenie.com (EU accounts), or
   * https://api.atlassian.com/jsm/ops/integration for Jira Service Management Operations (the
   * same /v2/alerts calls under that path, with a JSM "API" integration's key).
   */
  baseUrl: z.url().default('https://api.opsgenie.com'),
  /** SECRET: the key of an "API" integration (Create and Update access; Read access for the check). */
  apiKey: z.string().min(1),
  /** Services Palisade pages, by the name runbooks/paging.yaml uses: whom the alert goes to, and its priority. */
  services: z
    .record(z.string().min(1), z.strictObject({ responders: z.array(responderSchema).default([]), priority: z.enum(PRIORITIES).optional() }))
    .refine((s) => Object.keys(s).length > 0, 'name at least one service'),
  /** The service a page for an unknown name falls back to. */
  defaultService: z.string().min(1).optional(),
  /** SECRET (optional): the value the outgoing webhook integration sends in `webhookHeader` (comma-separated during a rotation). */
  webhookSecret: z.string().min(1).optional(),
  /** The custom header the outgoing webhook integration carries the secret in. */
  webhookHeader: z.string().regex(/^[A-Za-z0-9-]+$/, 'a header name').default('X-Palisade-Webhook-Secret'),
  timeoutMs: z.number().int().positive().default(10_000),
  /** How long a send follows its request (GET /v2/alerts/requests/{id}) before leaving it to a retry. */
  requestWaitMs: z.number().int().nonnegative().default(5_000),
});
export type OpsgenieConfig = z.input<typeof opsgenieConfigSchema>;

const VENDOR = 'Opsgenie';
const PRIORITY: Record<Severity, Priority> = { critical: 'P1', high: 'P2', medium: 'P3', low: 'P4' };
/** Opsgenie's documented field limits ("Alerts and Alert Fields"); details hold 8,000 characters in all. */
const MAX_MESSAGE = 130;
const MAX_ALIAS = 512;
const MAX_ENTITY = 512;
const MAX_DESCRIPTION = 15_000;
const MAX_DETAIL = 1_000;
/** Who Palisade's own requests say acted (`user`): its actions coming back by webhook are known by it. */
export const OPSGENIE_USER = 'Palisade';
const USER = OPSGENIE_USER;

/**
 * Opsgenie's Alert API (and Jira Service Management Operations' integration API, the same
 * shape under another base path), with `Authorization: GenieKey <key>`. One alert per incident:
 * its alias is the incident id, so a second create is deduplicated into the open alert;
 * acknowledge and close go by alias. Every such request is asynchronous: the 202 carries a
 * request id, followed (GET /v2/alerts/requests/{id}) until Opsgenie says whether it worked and
 * which alert it made. A request refused once processed is Invalid (not retried); one not yet
 * processed after `requestWaitMs` is Unavailable (retried: the alias makes a repeat harmless).
 */
export class OpsgeniePaging implements PagingProvider, Checkable {
  readonly config: z.output<typeof opsgenieConfigSchema>;
  private readonly http: VendorHttp;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(config: OpsgenieConfig, deps: VendorDeps & { sleep?: (ms: number) => Promise<void> } = {}) {
    this.config = opsgenieConfigSchema.parse(config);
    this.sleep = deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.http = new VendorHttp({
      vendor: VENDOR,
      baseUrl: this.config.baseUrl,
      timeoutMs: this.config.timeoutMs,
      fetch: deps.fetch ?? fetch,
      now: deps.now ?? Date.now,
      secrets: () => [this.config.apiKey, this.config.webhookSecret],
      deniedHint: 'Check the API integration key (apiKeyEnv under settings.opsgenie): the integration must be enabled, with Create and Update access (Read access for the check).',
    });
  }

  /** Reads the alert list (one alert): proves the key and its read access, changes nothing. */
  async check(): Promise<string> {
    const res = await this.api('list alerts', 'GET', '/v2/alerts?limit=1');
    const data = field(res.body, 'data');
    const names = Object.keys(this.config.services);
    return `the API key reads alerts at ${this.config.baseUrl} (${Array.isArray(data) && data.length > 0 ? 'some' : 'none'} listed); ${names.length} service(s) configured (${names.join(', ')})`;
  }

  serviceFor(service: string): z.output<typeof opsgenieConfigSchema>['services'][string] {
    const s = this.config.services[service] ?? (this.config.defaultService ? this.config.services[this.config.defaultService] : undefined);
    if (!s) {
      throw providerError(ProviderErrorType.Invalid, `${VENDOR} has no service '${service}' in settings.opsgenie.services (configured: ${Object.keys(this.config.services).join(', ')}).`);
    }
    return s;
  }

  async send(event: PageEvent): Promise<PageReceipt> {
    const alias = event.dedupKey.slice(0, MAX_ALIAS);
    const service = this.serviceFor(event.service);
    const byAlias = `/${encodeURIComponent(alias)}`;
    const note = event.link ? `Palisade: ${event.link}` : 'Palisade';
    const request =
      event.action === 'trigger'
        ? { path: '/v2/alerts', json: this.createBody(event, alias, service) }
        : { path: `/v2/alerts${byAlias}/${event.action === 'acknowledge' ? 'acknowledge' : 'close'}?identifierType=alias`, json: { user: USER, source: USER, note } };
    const what = `${event.action === 'resolve' ? 'close' : event.action === 'trigger' ? 'create' : 'acknowledge'} the alert '${alias}'`;
    const accepted = await this.api(what, 'POST', request.path, request.json);
    const requestId = field(accepted.body, 'requestId');
    if (typeof requestId !== 'string' || !requestId) throw providerError(ProviderErrorType.Unavailable, `${VENDOR} accepted the request to ${what} without a request id (HTTP ${accepted.status}).`);
    const status = await this.follow(what, requestId);
    const alertId = field(status, 'alertId');
    const said = field(status, 'status');
    return { dedupKey: alias, message: `${typeof said === 'string' ? said : 'done'}${typeof alertId === 'string' ? `; alert ${alertId}` : ''}; request ${requestId}` };
  }

  private createBody(event: PageEvent, alias: string, service: { responders: unknown[]; priority?: Priority }): Record<string, unknown> {
    const details: Record<string, string> = {};
    for (const [key, value] of Object.entries(event.details ?? {})) {
      if (value !== undefined && value !== null) details[key] = (typeof value === 'string' ? value : JSON.stringify(value)).slice(0, MAX_DETAIL);
    }
    if (event.link) details.palisade = event.link;
    const lines = [event.summary ?? alias, event.link ? `Incident in Palisade: ${event.link}` : ''].filter(Boolean);
    return {
      message: (event.summary ?? alias).slice(0, MAX_MESSAGE),
      alias,
      description: lines.join('\n\n').slice(0, MAX_DESCRIPTION),
      responders: service.responders,
      tags: ['palisade', `severity-${event.severity ?? 'high'}`],
      details,
      entity: (event.source ?? 'palisade').slice(0, MAX_ENTITY),
      source: USER,
      priority: service.priority ?? PRIORITY[event.severity ?? 'high'],
      user: USER,
    };
  }

  /**
   * The processed request's status (`data` of GET /v2/alerts/requests/{id}): 404 while Opsgenie
   * has not processed it yet, asked again with a growing pause until `requestWaitMs` has passed.
   */
  private async follow(what: string, requestId: string): Promise<unknown> {
    const path = `/v2/alerts/requests/${encodeURIComponent(requestId)}`;
    let waited = 0;
    for (let pause = 100; ; pause *= 2) {
      const res = await this.http.raw(`follow the request to ${what}`, { method: 'GET', path, headers: this.auth() });
      if (res.status !== 404) {
        const data = field(this.http.check(`follow the request to ${what}`, res).body, 'data');
        const ok = field(data, 'isSuccess') ?? field(data, 'success');
        if (ok === true) return data;
        const said = field(data, 'status');
        throw providerError(ProviderErrorType.Invalid, this.http.scrub(`${VENDOR} refused to ${what} once it processed the request (${typeof said === 'string' ? said : 'no reason given'}; request ${requestId}).`));
      }
      if (waited >= this.config.requestWaitMs) break;
      const step = Math.min(pause, this.config.requestWaitMs - waited);
      await this.sleep(step);
      waited += step;
    }
    throw providerError(ProviderErrorType.Unavailable, `${VENDOR} accepted the request to ${what} but had not processed it after ${this.config.requestWaitMs} ms (request ${requestId}); it is sent again later, deduplicated by alias.`);
  }

  private auth(): Record<string, string> {
    return { authorization: `GenieKey ${this.config.apiKey}` };
  }

  private api(what: string, method: 'GET' | 'POST', path: string, json?: unknown) {
    return this.http.send(what, { method, path, json, headers: this.auth() });
  }
}
