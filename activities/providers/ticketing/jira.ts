// Request and answer shapes: the vendor's published API, as written in test/support/vendors/SOURCES.md.
import { z } from 'zod';
import { ProviderErrorType } from '../../../lib/providers/capabilities';
import { providerError } from '../errors';
import { field, VendorHttp, type VendorDeps } from '../vendor-http';
import { incidentLabel, type TicketingProvider, type TicketRef, type TicketSpec } from './ticketing.provider';

export const jiraConfigSchema = z.strictObject({
  /** The site, e.g. https://your-team.atlassian.net. */
  baseUrl: z.url(),
  /** The Atlassian account the API token belongs to. */
  email: z.string().min(1),
  /** SECRET: an API token of that account. */
  apiToken: z.string().min(1),
  issueType: z.string().min(1).default('Task'),
  /** SECRET (optional): the admin webhook's secret, for transitions coming back (X-Hub-Signature); comma-separated during a rotation. */
  webhookSecret: z.string().min(1).optional(),
  timeoutMs: z.number().int().positive().default(10_000),
});
export type JiraConfig = z.input<typeof jiraConfigSchema>;

const VENDOR = 'Jira';
const PRIORITY_LABEL = { critical: 'severity-critical', high: 'severity-high', medium: 'severity-medium', low: 'severity-low' } as const;

export { incidentLabel };

/**
 * Jira Cloud REST API v3 with an API token (basic auth). One issue per incident, carrying the
 * label `palisade-incident-<id>` and found by it (GET /rest/api/3/search/jql) before any create;
 * descriptions and comments in Atlassian Document Format; closed through the first transition
 * whose target status is in the `done` category.
 */
export class JiraTicketing implements TicketingProvider {
  readonly config: z.output<typeof jiraConfigSchema>;
  private readonly http: VendorHttp;

  constructor(config: JiraConfig, deps: VendorDeps = {}) {
    this.config = jiraConfigSchema.parse(config);
    this.http = new VendorHttp({
      vendor: VENDOR,
      baseUrl: this.config.baseUrl,
      timeoutMs: this.config.timeoutMs,
      fetch: deps.fetch ?? fetch,
      now: deps.now ?? Date.now,
      secrets: () => [this.config.apiToken],
      deniedHint: 'The account needs Browse, Create, Add comments and Transition issues in the project.',
    });
  }

  /** Who the token is (GET /rest/api/3/myself): read-only. */
  async check(): Promise<string> {
    const res = await this.api('read the API token\'s account', 'GET', '/rest/api/3/myself');
    const name = [field(res.body, 'displayName'), field(res.body, 'emailAddress')].find((v): v is string => typeof v === 'string') ?? 'unknown';
    return `authenticated as ${name}`;
  }

  async open(spec: TicketSpec): Promise<{ ticket: TicketRef; created: boolean }> {
    const found = await this.find(spec.incidentId, spec.project);
    if (found) return { ticket: found, created: false };
    const res = await this.api(`open a ticket for incident ${spec.incidentId}`, 'POST', '/rest/api/3/issue', {
      fields: {
        project: { key: spec.project },
        issuetype: { name: this.config.issueType },
        summary: spec.summary.slice(0, 250),
        description: adf(spec.lines, spec.link),
        labels: ['palisade', incidentLabel(spec.incidentId), PRIORITY_LABEL[spec.severity]],
      },
    });
    return { ticket: this.ref(res.body), created: true };
  }

  /** The incident's ticket in the project, by its label. */
  async find(incidentId: string, project: string): Promise<TicketRef | null> {
    const jql = `project = "${project.replaceAll('"', '')}" AND labels = "${incidentLabel(incidentId)}" ORDER BY created ASC`;
    const res = await this.api(`search for incident ${incidentId}'s ticket`, 'GET', `/rest/api/3/search/jql?jql=${encodeURIComponent(jql)}&fields=summary,status&maxResults=1`);
    const issues = field(res.body, 'issues');
    return Array.isArray(issues) && issues.length > 0 ? this.ref(issues[0]) : null;
  }

  async comment(ticket: TicketRef, text: string, link?: string): Promise<void> {
    await this.api(`comment on ${ticket.key}`, 'POST', `/rest/api/3/issue/${encodeURIComponent(ticket.key)}/comment`, { body: adf([text], link) });
  }

  async close(ticket: TicketRef, text: string, link?: string): Promise<void> {
    await this.comment(ticket, text, link);
    const res = await this.api(`list the transitions of ${ticket.key}`, 'GET', `/rest/api/3/issue/${encodeURIComponent(ticket.key)}/transitions`);
    const transitions = field(res.body, 'transitions');
    const list = Array.isArray(transitions) ? (transitions as unknown[]) : [];
    const done = list.find((t) => field(t, 'to', 'statusCategory', 'key') === 'done');
    if (!done) {
      // Already done (no transition leads to done from a done status), or a workflow without one.
      const status = await this.api(`read the status of ${ticket.key}`, 'GET', `/rest/api/3/issue/${encodeURIComponent(ticket.key)}?fields=status`);
      if (field(status.body, 'fields', 'status', 'statusCategory', 'key') === 'done') return;
      throw providerError(ProviderErrorType.Invalid, `${VENDOR} offers no transition to a done status for ${ticket.key}: add one to the project's workflow.`);
    }
    await this.api(`close ${ticket.key}`, 'POST', `/rest/api/3/issue/${encodeURIComponent(ticket.key)}/transitions`, { transition: { id: String(field(done, 'id')) } });
  }

  private ref(issue: unknown): TicketRef {
    const id = field(issue, 'id');
    const key = field(issue, 'key');
    if (typeof key !== 'string') throw providerError(ProviderErrorType.Unavailable, `${VENDOR} answered without an issue key.`);
    return { id: typeof id === 'string' ? id : String(id), key, url: `${this.config.baseUrl.replace(/\/+$/, '')}/browse/${key}` };
  }

  private api(what: string, method: 'GET' | 'POST', path: string, json?: unknown) {
    const auth = Buffer.from(`${this.config.email}:${this.config.apiToken}`).toString('base64');
    return this.http.send(what, { method, path, json, headers: { authorization: `Basic ${auth}` } });
  }
}

/** Paragraphs (and a link) as an Atlassian Document Format document. */
export function adf(lines: string[], link?: string): Record<string, unknown> {
  const content: unknown[] = lines.filter((l) => l.length > 0).map((text) => ({ type: 'paragraph', content: [{ type: 'text', text }] }));
  if (link) content.push({ type: 'paragraph', content: [{ type: 'text', text: 'Incident in Palisade', marks: [{ type: 'link', attrs: { href: link } }] }] });
  return { type: 'doc', version: 1, content };
}
