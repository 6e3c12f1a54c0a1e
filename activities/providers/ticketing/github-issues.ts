// Request and answer shapes: the vendor's published API, as written in test/support/vendors/SOURCES.md.
import { z } from 'zod';
import { ProviderErrorType } from '../../../lib/providers/capabilities';
import type { Checkable } from '../check';
import { providerError } from '../errors';
import { field, VendorHttp, type VendorDeps, type VendorResponse } from '../vendor-http';
import { incidentLabel, type TicketingProvider, type TicketRef, type TicketSpec } from './ticketing.provider';

const REPOSITORY = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;
const repository = z.string().regex(REPOSITORY, 'expected owner/name');

export const gitHubIssuesConfigSchema = z
  .strictObject({
    /** https://api.github.com, or https://<host>/api/v3 for GitHub Enterprise Server. */
    baseUrl: z.url().default('https://api.github.com'),
    /** SECRET (`tokenEnv`): a fine-grained token with "Issues" read and write (and "Metadata" read) on the repositories, or a classic token with `repo`. */
    token: z.string().min(1),
    /** The repository each project runbooks/paging.yaml names opens its issues in (owner/name). */
    repositories: z.record(z.string().min(1), repository).default({}),
    /** The repository for a project not listed in `repositories`. */
    repository: repository.optional(),
    timeoutMs: z.number().int().positive().default(10_000),
  })
  .refine((c) => c.repository !== undefined || Object.keys(c.repositories).length > 0, { message: 'give repository: owner/name, or repositories: { <project>: owner/name }' });
export type GitHubIssuesConfig = z.input<typeof gitHubIssuesConfigSchema>;

const VENDOR = 'GitHub';
const API_HEADERS = { accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28' };
const MAX_TITLE = 256;
const MAX_BODY = 65_536;
/** A ticket's key: owner/name#number. */
const KEY = /^([A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+)#(\d+)$/;

/**
 * GitHub Issues over the REST API (2022-11-28), the same lifecycle as Jira: one issue per
 * incident, labelled `palisade-incident-<id>` and found by that label (the repository's issue
 * list, which reads the database, not the search index) before any create, so a retry after a
 * lost answer finds the first; milestones as comments; closed on resolve as `completed` with
 * the postmortem link; a found issue that was closed is reopened (an incident reopened).
 */
export class GitHubIssuesTicketing implements TicketingProvider, Checkable {
  readonly config: z.output<typeof gitHubIssuesConfigSchema>;
  private readonly http: VendorHttp;

  constructor(config: GitHubIssuesConfig, deps: VendorDeps = {}) {
    this.config = gitHubIssuesConfigSchema.parse(config);
    this.http = new VendorHttp({
      vendor: VENDOR,
      baseUrl: this.config.baseUrl,
      timeoutMs: this.config.timeoutMs,
      fetch: deps.fetch ?? fetch,
      now: deps.now ?? Date.now,
      secrets: () => [this.config.token],
      deniedHint: 'The token needs "Issues" read and write on the repository (classic tokens: the repo scope), and push access for labels to stick.',
    });
  }

  /** Reads each configured repository (GET /repos/{owner}/{repo}): read-only. */
  async check(): Promise<string> {
    const repos = [...new Set([...Object.values(this.config.repositories), ...(this.config.repository ? [this.config.repository] : [])])];
    const seen = await Promise.all(
      repos.map(async (repo) => {
        const res = await this.api(`read the repository ${repo}`, 'GET', `/repos/${repo}`);
        if (field(res.body, 'has_issues') === false) throw providerError(ProviderErrorType.Invalid, `${VENDOR} repository ${repo} has issues turned off: turn them on in its settings.`);
        const push = field(res.body, 'permissions', 'push');
        return `${repo}${push === false ? ' (no push access: labels would be dropped)' : ''}`;
      }),
    );
    return `the token reads ${seen.join(', ')}`;
  }

  repositoryFor(project: string): string {
    const repo = this.config.repositories[project] ?? this.config.repository;
    if (!repo) {
      throw providerError(ProviderErrorType.Invalid, `${VENDOR} has no repository for project '${project}' in settings.github-issues.repositories (configured: ${Object.keys(this.config.repositories).join(', ')}).`);
    }
    return repo;
  }

  async open(spec: TicketSpec): Promise<{ ticket: TicketRef; created: boolean }> {
    const repo = this.repositoryFor(spec.project);
    const label = incidentLabel(spec.incidentId);
    const found = await this.findIssue(repo, spec.incidentId);
    if (found) {
      // The incident was reopened: so is its issue.
      if (field(found, 'state') === 'closed') await this.setState(repo, this.number(found), 'open', 'reopened');
      return { ticket: this.ref(repo, found), created: false };
    }
    const res = await this.api(`open an issue for incident ${spec.incidentId} in ${repo}`, 'POST', `/repos/${repo}/issues`, {
      title: spec.summary.slice(0, MAX_TITLE),
      body: markdown(spec.lines, spec.link).slice(0, MAX_BODY),
      labels: ['palisade', label, `severity-${spec.severity}`],
    });
    const labels = field(res.body, 'labels');
    const named = Array.isArray(labels) ? labels.map((l) => (typeof l === 'string' ? l : field(l, 'name'))) : [];
    if (!named.includes(label)) {
      // GitHub drops labels silently without push access: the issue could never be found again.
      throw providerError(
        ProviderErrorType.Denied,
        `${VENDOR} opened ${repo}#${String(field(res.body, 'number'))} without its label ${label}: the token has no push access to ${repo}, so Palisade cannot find the issue again. Give it write access.`,
      );
    }
    return { ticket: this.ref(repo, res.body), created: true };
  }

  /** The incident's issue in the repository, by its label, open or closed (pull requests aside). */
  async findIssue(repo: string, incidentId: string): Promise<unknown> {
    const query = new URLSearchParams({ labels: incidentLabel(incidentId), state: 'all', sort: 'created', direction: 'asc', per_page: '10' });
    const res = await this.api(`look for incident ${incidentId}'s issue in ${repo}`, 'GET', `/repos/${repo}/issues?${query.toString()}`);
    return Array.isArray(res.body) ? res.body.find((i) => field(i, 'pull_request') === undefined) : undefined;
  }

  async comment(ticket: TicketRef, text: string, link?: string): Promise<void> {
    const { repo, number } = parseKey(ticket.key);
    await this.api(`comment on ${ticket.key}`, 'POST', `/repos/${repo}/issues/${number}/comments`, { body: markdown([text], link) });
  }

  async close(ticket: TicketRef, text: string, link?: string): Promise<void> {
    await this.comment(ticket, text, link);
    const { repo, number } = parseKey(ticket.key);
    await this.setState(repo, number, 'closed', 'completed');
  }

  private async setState(repo: string, number: number, state: 'open' | 'closed', reason: 'completed' | 'reopened'): Promise<void> {
    await this.api(`${state === 'open' ? 'reopen' : 'close'} ${repo}#${number}`, 'PATCH', `/repos/${repo}/issues/${number}`, { state, state_reason: reason });
  }

  private number(issue: unknown): number {
    const n = field(issue, 'number');
    if (typeof n !== 'number') throw providerError(ProviderErrorType.Unavailable, `${VENDOR} answered without an issue number.`);
    return n;
  }

  private ref(repo: string, issue: unknown): TicketRef {
    const number = this.number(issue);
    const url = field(issue, 'html_url');
    return { id: String(number), key: `${repo}#${number}`, url: typeof url === 'string' ? url : `${this.config.baseUrl}/repos/${repo}/issues/${number}` };
  }

  private api(what: string, method: 'GET' | 'POST' | 'PATCH', path: string, json?: unknown): Promise<VendorResponse> {
    return this.http.send(what, { method, path, json, headers: { ...API_HEADERS, authorization: `Bearer ${this.config.token}` } });
  }
}

function parseKey(key: string): { repo: string; number: number } {
  const m = KEY.exec(key);
  if (!m) throw providerError(ProviderErrorType.Invalid, `'${key}' is not a GitHub issue (owner/name#number).`);
  return { repo: m[1], number: Number(m[2]) };
}

/** Paragraphs (and a link) as GitHub Markdown. */
function markdown(lines: string[], link?: string): string {
  const paragraphs = lines.filter((l) => l.length > 0);
  if (link) paragraphs.push(`[Incident in Palisade](${link})`);
  return paragraphs.join('\n\n');
}
