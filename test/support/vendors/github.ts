import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bearer, IssuedTokens, json, LoopbackVendor, Reply, type RecordedRequest, type VendorReply } from './loopback';

/**
 * A secret-scanning alert as GitHub's REST API answers it (`secret-scanning-alert` in
 * github/rest-api-description; see SOURCES.md beside this file): the fields Palisade reads,
 * the leaked `secret` included.
 */
export interface SecretScanningAlert {
  number: number;
  created_at: string;
  updated_at: string | null;
  url: string;
  html_url: string;
  locations_url: string;
  state: 'open' | 'resolved';
  resolution: string | null;
  resolution_comment: string | null;
  resolved_at: string | null;
  resolved_by: { login: string } | null;
  secret_type: string;
  secret_type_display_name: string;
  secret: string;
  validity: 'active' | 'inactive' | 'unknown';
  publicly_leaked: boolean | null;
  multi_repo: boolean | null;
}

const RESOLUTIONS = ['false_positive', 'wont_fix', 'revoked', 'used_in_tests'];
const ALERT_PATH = /^\/repos\/([^/]+\/[^/]+)\/secret-scanning\/alerts\/(\d+)$/;
const LIST_PATH = /^\/repos\/([^/]+\/[^/]+)\/secret-scanning\/alerts$/;
const ACCESS_TOKENS_PATH = /^\/app\/installations\/(\d+)\/access_tokens$/;
const REPO_PATH = /^\/repos\/([^/]+\/[^/]+)(\/issues(?:\/(\d+)(\/comments)?)?)?$/;
const STATE_REASONS = ['completed', 'not_planned', 'duplicate', 'reopened', null];

/** An issue as GitHub's REST API answers it (`issue` in github/rest-api-description): the fields Palisade reads and a few more. */
export interface GitHubIssue {
  id: number;
  number: number;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  state_reason: 'completed' | 'not_planned' | 'duplicate' | 'reopened' | null;
  labels: { id: number; name: string; color: string; default: boolean; description: string | null }[];
  html_url: string;
  url: string;
  comments: number;
  created_at: string;
  updated_at: string;
  closed_at: string | null;
  user: { login: string };
}

/**
 * GitHub's REST API for secret scanning on loopback: get, list and update an alert
 * (`GET`/`PATCH /repos/{owner}/{repo}/secret-scanning/alerts/{alert_number}`), `GET /rate_limit`,
 * and a GitHub App's side: `GET /app` and `POST /app/installations/{id}/access_tokens` with an
 * RS256 JWT signed by the app's private key, minting installation tokens valid for an hour.
 * Issues too: `GET /repos/{owner}/{repo}`, list (by labels and state) and create issues, update
 * one (state, state_reason), comment on one, in the repositories `addRepository` made.
 * `slowMs` delays every answer (a slow GitHub); the loopback failure switches do the rest.
 */
export class FakeGitHub extends LoopbackVendor {
  /** "owner/name#number" → alert. */
  readonly alerts = new Map<string, SecretScanningAlert>();
  readonly installationTokens = new IssuedTokens(3600);
  /** The GitHub App: its client id (the JWT's `iss`), one installation, and its private key (PEM). */
  readonly app = { clientId: 'Iv23liPalisadeLoopback', appId: 1234567, installationId: 51234567, privateKey: '' };
  slowMs = 0;
  /** Repositories with issues: "owner/name" → its issues, oldest first. */
  readonly issues = new Map<string, GitHubIssue[]>();
  /** Each issue's comments (Markdown bodies), by "owner/name#number". */
  readonly comments = new Map<string, string[]>();
  /** The token has no push access: labels on a new issue are silently dropped (as GitHub documents). */
  dropLabels = false;
  /** The next issue create is made, then answered 502 (`5xx`) or never (`timeout`): a lost answer. */
  loseNextCreateAnswer: '5xx' | 'timeout' | null = null;
  private nextIssueId = 1_000_000;
  private readonly publicKey;

  constructor(readonly token = 'ghp_loopbackTokenForTests0123456789abcdef') {
    super();
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.app.privateKey = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    this.publicKey = createPublicKey(publicKey.export({ type: 'spki', format: 'pem' }));
  }

  /** Adds an open alert whose leaked value is `secret`. */
  addAlert(repository: string, number: number, opts: { secretType?: string; displayName?: string; secret?: string; validity?: SecretScanningAlert['validity'] } = {}): SecretScanningAlert {
    const api = `${this.url}/repos/${repository}/secret-scanning/alerts/${number}`;
    const alert: SecretScanningAlert = {
      number,
      created_at: new Date().toISOString(),
      updated_at: null,
      url: api,
      html_url: `https://github.com/${repository}/security/secret-scanning/${number}`,
      locations_url: `${api}/locations`,
      state: 'open',
      resolution: null,
      resolution_comment: null,
      resolved_at: null,
      resolved_by: null,
      secret_type: opts.secretType ?? 'aws_access_key_id',
      secret_type_display_name: opts.displayName ?? 'Amazon AWS Access Key ID',
      secret: opts.secret ?? 'AKIALOOPBACK00000001',
      validity: opts.validity ?? 'unknown',
      publicly_leaked: false,
      multi_repo: false,
    };
    this.alerts.set(`${repository}#${number}`, alert);
    return alert;
  }

  protected isToken(r: RecordedRequest): boolean {
    return ACCESS_TOKENS_PATH.test(r.path) || r.path === '/app';
  }

  protected errorBody(status: number, message: string): unknown {
    return { message, documentation_url: 'https://docs.github.com/rest', status: String(status) };
  }

  /** GitHub's secondary rate limit says when in seconds. */
  protected throttleHeaders(): Record<string, string> {
    return { 'retry-after': '5', 'x-ratelimit-remaining': '0' };
  }

  protected async handle(r: RecordedRequest): Promise<VendorReply> {
    if (this.slowMs > 0) await new Promise((resolve) => setTimeout(resolve, this.slowMs));
    if (r.path === '/app' || ACCESS_TOKENS_PATH.test(r.path)) return this.asApp(r);
    const token = bearer(r);
    if (token !== this.token && !this.installationTokens.valid(token)) throw new Reply({ status: 401, body: { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' } });
    if (r.method === 'GET' && r.path === '/rate_limit') return { status: 200, body: { resources: { core: { limit: 5000, remaining: 4999, reset: 0, used: 1 } } } };
    const repo = REPO_PATH.exec(r.path);
    if (repo) return this.issuesApi(r, repo[1], repo[2], repo[3] === undefined ? undefined : Number(repo[3]), repo[4] !== undefined);
    const list = LIST_PATH.exec(r.path);
    if (list && r.method === 'GET') {
      const alerts = [...this.alerts.entries()].filter(([key]) => key.startsWith(`${list[1]}#`)).map(([, a]) => this.shown(a, r));
      return { status: 200, body: alerts.slice(0, Number(r.query.get('per_page') ?? 30)) };
    }
    const m = ALERT_PATH.exec(r.path);
    const alert = m ? this.alerts.get(`${m[1]}#${m[2]}`) : undefined;
    // GitHub: "Repository is public, or secret scanning is disabled for the repository, or the resource is not found".
    if (!alert) throw new Reply({ status: 404, body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' } });
    if (r.method === 'GET') return { status: 200, body: this.shown(alert, r) };
    if (r.method !== 'PATCH') throw new Reply({ status: 404, body: { message: 'Not Found' } });
    return this.update(alert, r);
  }

  /** Adds a repository with issues turned on (no issues yet). */
  addRepository(repository: string): void {
    if (!this.issues.has(repository)) this.issues.set(repository, []);
  }

  /** Issues of a repository carrying a label. */
  labelled(repository: string, label: string): GitHubIssue[] {
    return (this.issues.get(repository) ?? []).filter((i) => i.labels.some((l) => l.name === label));
  }

  /**
   * `GET /repos/{owner}/{repo}`, `GET`/`POST /repos/{owner}/{repo}/issues`, `PATCH
   * /repos/{owner}/{repo}/issues/{issue_number}`, `POST .../issues/{issue_number}/comments`.
   */
  private issuesApi(r: RecordedRequest, repository: string, sub: string | undefined, number: number | undefined, comments: boolean): VendorReply | Promise<VendorReply> {
    const issues = this.issues.get(repository);
    if (!issues) throw new Reply({ status: 404, body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' } });
    const [owner, name] = repository.split('/');
    if (!sub && r.method === 'GET') {
      return { status: 200, body: { id: 1296269, name, full_name: repository, owner: { login: owner }, private: true, has_issues: true, permissions: { admin: false, maintain: false, push: !this.dropLabels, triage: true, pull: true } } };
    }
    if (sub === '/issues' && r.method === 'GET') {
      const state = r.query.get('state') ?? 'open';
      const wanted = (r.query.get('labels') ?? '').split(',').filter(Boolean);
      const found = issues.filter((i) => (state === 'all' || i.state === state) && wanted.every((w) => i.labels.some((l) => l.name === w)));
      return { status: 200, body: found.slice(0, Number(r.query.get('per_page') ?? 30)) };
    }
    if (sub === '/issues' && r.method === 'POST') return this.createIssue(r, repository, issues);
    const issue = issues.find((i) => i.number === number);
    if (!issue) throw new Reply({ status: 404, body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' } });
    if (comments && r.method === 'POST') {
      const body = json(r)?.body;
      if (typeof body !== 'string' || !body) return { status: 422, body: { message: 'Validation Failed', errors: [{ resource: 'IssueComment', code: 'missing_field', field: 'body' }] } };
      const key = `${repository}#${issue.number}`;
      this.comments.set(key, [...(this.comments.get(key) ?? []), body]);
      issue.comments++;
      return { status: 201, body: { id: this.nextIssueId++, body, html_url: `${issue.html_url}#issuecomment-${this.nextIssueId}`, user: { login: 'palisade-bot' } } };
    }
    if (!comments && r.method === 'PATCH') {
      const body = json(r) ?? {};
      if (body.state !== undefined && !['open', 'closed'].includes(body.state)) return { status: 422, body: { message: 'Validation Failed', errors: [{ resource: 'Issue', code: 'invalid', field: 'state' }] } };
      if (body.state_reason !== undefined && !STATE_REASONS.includes(body.state_reason)) return { status: 422, body: { message: 'Validation Failed', errors: [{ resource: 'Issue', code: 'invalid', field: 'state_reason' }] } };
      const at = new Date().toISOString();
      // state_reason is ignored unless the state changes.
      if (body.state && body.state !== issue.state) Object.assign(issue, { state: body.state, state_reason: body.state_reason ?? (body.state === 'closed' ? 'completed' : 'reopened'), closed_at: body.state === 'closed' ? at : null });
      issue.updated_at = at;
      return { status: 200, body: issue };
    }
    throw new Reply({ status: 404, body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' } });
  }

  private createIssue(r: RecordedRequest, repository: string, issues: GitHubIssue[]): VendorReply | Promise<VendorReply> {
    const body = json(r) ?? {};
    if ((typeof body.title !== 'string' && typeof body.title !== 'number') || body.title === '') {
      return { status: 422, body: { message: 'Validation Failed', errors: [{ resource: 'Issue', code: 'missing_field', field: 'title' }] } };
    }
    const labels = this.dropLabels ? [] : ((body.labels ?? []) as (string | { name?: string })[]).map((l) => (typeof l === 'string' ? l : (l.name ?? '')));
    const number = issues.length + 1;
    const at = new Date().toISOString();
    const issue: GitHubIssue = {
      id: this.nextIssueId++,
      number,
      title: String(body.title),
      body: typeof body.body === 'string' ? body.body : null,
      state: 'open',
      state_reason: null,
      labels: labels.filter(Boolean).map((name, k) => ({ id: 208045946 + k, name, color: 'ededed', default: false, description: null })),
      html_url: `https://github.com/${repository}/issues/${number}`,
      url: `${this.url}/repos/${repository}/issues/${number}`,
      comments: 0,
      created_at: at,
      updated_at: at,
      closed_at: null,
      user: { login: 'palisade-bot' },
    };
    issues.push(issue);
    const lose = this.loseNextCreateAnswer;
    this.loseNextCreateAnswer = null;
    if (lose === 'timeout') return new Promise<VendorReply>(() => undefined); // created, never answered
    if (lose === '5xx') return { status: 502, body: { message: 'Server Error' } };
    return { status: 201, body: issue, headers: { location: issue.url } };
  }

  /** The alert as GET answers it: without the secret when `hide_secret=true`. */
  private shown(alert: SecretScanningAlert, r: RecordedRequest): Partial<SecretScanningAlert> {
    if (r.query.get('hide_secret') !== 'true') return alert;
    const { secret: _hidden, ...rest } = alert;
    return rest;
  }

  private update(alert: SecretScanningAlert, r: RecordedRequest): VendorReply {
    if (r.headers.accept !== 'application/vnd.github+json' || r.headers['x-github-api-version'] !== '2022-11-28') {
      return { status: 400, body: { message: 'Accept application/vnd.github+json and X-GitHub-Api-Version 2022-11-28 expected' } };
    }
    const body = json(r) ?? {};
    if (body.state === 'resolved') {
      if (!RESOLUTIONS.includes(body.resolution)) return { status: 422, body: { message: 'Validation Failed: resolution is invalid', errors: [] } };
      // "400 Bad request, resolution comment is invalid or the resolution was not changed."
      if (alert.state === 'resolved' && alert.resolution === body.resolution) return { status: 400, body: { message: 'The resolution was not changed' } };
      const at = new Date().toISOString();
      Object.assign(alert, { state: 'resolved', resolution: body.resolution, resolution_comment: body.resolution_comment ?? null, resolved_at: at, updated_at: at, resolved_by: { login: 'palisade-bot' } });
    } else if (body.state === 'open') {
      Object.assign(alert, { state: 'open', resolution: null, resolution_comment: null, resolved_at: null, resolved_by: null });
    } else {
      return { status: 422, body: { message: 'Validation Failed: state must be open or resolved' } };
    }
    return { status: 200, body: alert };
  }

  /** The App's endpoints take a JWT: RS256, issued by the app, at most 10 minutes long, not expired. */
  private asApp(r: RecordedRequest): VendorReply {
    const claims = this.verifiedJwt(bearer(r));
    if (!claims) {
      return { status: 401, body: { message: 'A JSON web token could not be decoded', documentation_url: 'https://docs.github.com/rest' } };
    }
    if (r.method === 'GET' && r.path === '/app') return { status: 200, body: { id: this.app.appId, client_id: this.app.clientId, slug: 'palisade-loopback', name: 'Palisade (loopback)' } };
    const m = ACCESS_TOKENS_PATH.exec(r.path);
    if (r.method !== 'POST' || !m) throw new Reply({ status: 404, body: { message: 'Not Found' } });
    if (Number(m[1]) !== this.app.installationId) return { status: 404, body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' } };
    const expiresAt = new Date(Date.now() + this.installationTokens.expiresIn * 1000).toISOString();
    return {
      status: 201,
      body: { token: this.installationTokens.issue(), expires_at: expiresAt, permissions: { secret_scanning_alerts: 'write', metadata: 'read' }, repository_selection: 'all' },
    };
  }

  private verifiedJwt(token: string | undefined): { iss: string; iat: number; exp: number } | undefined {
    const parts = token?.split('.') ?? [];
    if (parts.length !== 3) return undefined;
    const [head, body, signature] = parts;
    const decode = (s: string) => JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as Record<string, unknown>;
    try {
      if (decode(head).alg !== 'RS256') return undefined;
      if (!verify('RSA-SHA256', Buffer.from(`${head}.${body}`), this.publicKey, Buffer.from(signature, 'base64url'))) return undefined;
      const claims = decode(body) as { iss: string; iat: number; exp: number };
      const now = Math.floor(Date.now() / 1000);
      const issuer = String(claims.iss) === this.app.clientId || String(claims.iss) === String(this.app.appId);
      return issuer && claims.exp > now && claims.iat <= now + 60 && claims.exp - claims.iat <= 660 ? claims : undefined;
    } catch {
      return undefined;
    }
  }
}

/**
 * runbooks/providers.yaml as shipped, with GitHub (this fake, authenticated with the token in
 * `tokenVariable`) serving secretScanning: a file of its own, for PALISADE_PROVIDERS_FILE.
 */
export function providersWithGitHub(github: FakeGitHub, tokenVariable: string, settings: { intakeTimeoutMs?: number; timeoutMs?: number } = {}): string {
  const shipped = readFileSync(path.resolve(__dirname, '../../../runbooks/providers.yaml'), 'utf8');
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'palisade-github-')), 'providers.yaml');
  const options = Object.entries({ baseUrl: `"${github.url}"`, tokenEnv: tokenVariable, ...settings }).map(([k, v]) => `${k}: ${v}`).join(', ');
  writeFileSync(file, `${shipped.replace('secretScanning: none', 'secretScanning: github')}settings:\n  github: { ${options} }\n`);
  return file;
}
