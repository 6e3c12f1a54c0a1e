import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { ProviderErrorType, type CredentialRef, type ProviderCall } from '../../../lib/providers/capabilities';
import type { Checkable } from '../check';
import { providerError } from '../errors';
import { field, rawWithToken, TokenCache, VendorHttp, type VendorDeps, type VendorRequest, type VendorResponse } from '../vendor-http';
import { SECRET_SCANNING_RESOLUTIONS, type ClosedAlert, type SecretScanningAlertRef, type SecretScanningProvider, type SecretScanningResolution } from './secret-scanning.provider';

const REPOSITORY = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

export const gitHubSecretScanningConfigSchema = z
  .strictObject({
    /** https://api.github.com, or https://<host>/api/v3 for GitHub Enterprise Server. */
    baseUrl: z.url().default('https://api.github.com'),
    /**
     * SECRET (`tokenEnv`): a fine-grained token with "Secret scanning alerts" read and write on the
     * repositories, or a classic token with `repo` (or `security_events`).
     */
    token: z.string().min(1).optional(),
    /** Or a GitHub App with the "Secret scanning alerts" repository permission (read and write), installed on the repositories. */
    app: z
      .strictObject({
        /** The App's client ID (recommended by GitHub) or its numeric App ID: the JWT's issuer. */
        clientId: z.union([z.string().min(1), z.number().int().positive()]).transform(String),
        installationId: z.number().int().positive(),
        /** SECRET (`privateKeyEnv`): the App's private key, PEM (a one-line value with `\n` escapes is accepted). */
        privateKey: z.string().min(1),
      })
      .optional(),
    /** One call's deadline in a playbook step. */
    timeoutMs: z.number().int().positive().default(10_000),
    /** How long the door waits for the secret before opening the incident by repository and alert number. */
    intakeTimeoutMs: z.number().int().positive().default(2_000),
    /** A repository whose alerts `palisade providers check` lists (proves the read permission), owner/name. */
    checkRepository: z.string().regex(REPOSITORY, 'expected owner/name').optional(),
  })
  .refine((c) => (c.token === undefined) !== (c.app === undefined), { message: 'give either tokenEnv (a token) or app: { clientId, installationId, privateKeyEnv } (a GitHub App), not both' });
export type GitHubSecretScanningConfig = z.input<typeof gitHubSecretScanningConfigSchema>;

export interface GitHubDeps extends VendorDeps {
  /** The door's keyed fingerprint of a secret value (Redactor.fingerprint): describeSecret needs it. */
  fingerprint?: (value: string) => string;
}

const VENDOR = 'GitHub';
const API_HEADERS = { accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28' };
const DENIED_HINT =
  'The token needs "Secret scanning alerts" read and write on the repository (classic tokens: the repo or security_events scope); a GitHub App, that repository permission and an installation on the repository.';

/**
 * GitHub secret scanning over its REST API: reads an alert's leaked secret (the webhook does not
 * carry it) and closes alerts. Authenticates with a token, or as a GitHub App: an RS256 JWT
 * signed with the App's private key buys an installation token (an hour), kept until shortly
 * before it expires and renewed once if GitHub refuses it early.
 */
export class GitHubSecretScanning implements SecretScanningProvider, Checkable {
  private readonly config: z.output<typeof gitHubSecretScanningConfigSchema>;
  private readonly http: VendorHttp;
  private readonly now: () => number;
  private readonly appKey?: KeyObject;
  private readonly installationTokens?: TokenCache;

  constructor(
    config: GitHubSecretScanningConfig,
    private readonly deps: GitHubDeps = {},
  ) {
    this.config = gitHubSecretScanningConfigSchema.parse(config);
    this.now = deps.now ?? Date.now;
    const app = this.config.app;
    if (app) {
      this.appKey = privateKeyOf(app.privateKey);
      this.installationTokens = new TokenCache(() => this.issueInstallationToken(), this.now);
    }
    this.http = new VendorHttp({
      vendor: VENDOR,
      baseUrl: this.config.baseUrl,
      timeoutMs: this.config.timeoutMs,
      fetch: deps.fetch ?? fetch,
      now: this.now,
      secrets: () => [this.config.token, this.config.app?.privateKey, this.installationTokens?.peek()],
      deniedHint: DENIED_HINT,
    });
  }

  /** How long the door waits for `describeSecret` (settings.github.intakeTimeoutMs). */
  get intakeTimeoutMs(): number {
    return this.config.intakeTimeoutMs;
  }

  async describeSecret(_call: ProviderCall, ref: SecretScanningAlertRef): Promise<CredentialRef> {
    const fingerprint = this.deps.fingerprint;
    if (!fingerprint) throw providerError(ProviderErrorType.Invalid, 'GitHub secret scanning was built without the door\'s fingerprint function: give the worker PALISADE_REDACTION_KEY.');
    const what = `read the secret of alert #${ref.alertNumber} in ${ref.repository}`;
    const res = await this.api(what, { method: 'GET', path: alertPath(ref) });
    const secret = field(res.body, 'secret');
    const type = field(res.body, 'secret_type');
    if (typeof secret !== 'string' || secret.length === 0) {
      throw providerError(ProviderErrorType.NotFound, `GitHub's alert #${ref.alertNumber} in ${ref.repository} carries no secret (GitHub answers it only to administrators of the repository or its organization).`);
    }
    // Reduced here: the value goes no further than this line.
    return { type: typeof type === 'string' && type ? type : 'unknown', fingerprint: fingerprint(secret), last4: secret.slice(-4) };
  }

  async closeAlert(_call: ProviderCall, ref: SecretScanningAlertRef, resolution: SecretScanningResolution, comment: string): Promise<ClosedAlert> {
    if (!SECRET_SCANNING_RESOLUTIONS.includes(resolution)) {
      throw providerError(ProviderErrorType.Invalid, `'${String(resolution)}' is not a secret-scanning resolution (${SECRET_SCANNING_RESOLUTIONS.join(', ')}).`);
    }
    const what = `close secret-scanning alert #${ref.alertNumber} of ${ref.repository}`;
    const path = alertPath(ref);
    const raw = await this.api(what, { method: 'PATCH', path, json: { state: 'resolved', resolution, resolution_comment: comment } }, { accept: [400] });
    // GitHub answers 400 when "the resolution was not changed": closed already, as asked?
    const res = raw.status === 400 ? await this.api(what, { method: 'GET', path: `${path}?hide_secret=true` }) : raw;
    if (raw.status === 400 && !(field(res.body, 'state') === 'resolved' && field(res.body, 'resolution') === resolution)) throw this.http.failure(what, raw);
    const resolvedAt = field(res.body, 'resolved_at');
    return {
      repository: ref.repository,
      alertNumber: ref.alertNumber,
      state: 'resolved',
      resolution: (field(res.body, 'resolution') as SecretScanningResolution | undefined) ?? resolution,
      resolvedAt: typeof resolvedAt === 'string' ? resolvedAt : new Date(this.now()).toISOString(),
    };
  }

  /** `palisade providers check`: the credential works (and, with checkRepository, reads that repository's alerts). */
  async check(): Promise<string> {
    let who: string;
    if (this.config.app) {
      const app = await this.http.send('read the authenticated GitHub App', { method: 'GET', path: '/app', headers: { ...API_HEADERS, authorization: `Bearer ${this.appJwt()}` } });
      await this.installationTokens!.get();
      const slug = field(app.body, 'slug');
      who = `GitHub App ${typeof slug === 'string' ? slug : this.config.app.clientId}, installation ${this.config.app.installationId}`;
    } else {
      await this.api('check the token', { method: 'GET', path: '/rate_limit' });
      who = 'the token';
    }
    const repo = this.config.checkRepository;
    if (!repo) return `${who} is accepted by ${this.config.baseUrl} (set checkRepository to also prove it can read a repository's alerts)`;
    const list = await this.api(`list the secret-scanning alerts of ${repo}`, { method: 'GET', path: `/repos/${repo}/secret-scanning/alerts?per_page=1&hide_secret=true` });
    return `${who} reads the secret-scanning alerts of ${repo} (${Array.isArray(list.body) && list.body.length > 0 ? 'some' : 'none'} open)`;
  }

  /** A REST call with the token or the App's installation token; statuses in `accept` come back instead of failing. */
  private async api(what: string, req: VendorRequest, opts: { accept?: number[] } = {}): Promise<VendorResponse> {
    const request = { ...req, headers: { ...API_HEADERS, ...req.headers } };
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
    const res = this.installationTokens
      ? await rawWithToken(this.http, this.installationTokens, what, request, bearer)
      : await this.http.raw(what, { ...request, headers: { ...request.headers, ...bearer(this.config.token!) } });
    return opts.accept?.includes(res.status) ? res : this.http.check(what, res);
  }

  private async issueInstallationToken(): Promise<{ token: string; expiresIn: number }> {
    const { installationId } = this.config.app!;
    const res = await this.http.send(`get an installation token for installation ${installationId}`, {
      method: 'POST',
      path: `/app/installations/${installationId}/access_tokens`,
      headers: { ...API_HEADERS, authorization: `Bearer ${this.appJwt()}` },
    });
    const token = field(res.body, 'token');
    const expiresAt = Date.parse(String(field(res.body, 'expires_at')));
    if (typeof token !== 'string' || !token) throw providerError(ProviderErrorType.Unavailable, `GitHub answered installation ${installationId}'s token request without a token.`);
    return { token, expiresIn: Number.isFinite(expiresAt) ? (expiresAt - this.now()) / 1000 : 3600 };
  }

  /** The App's JWT (RS256): issued a minute in the past against clock drift, valid ten minutes in all (GitHub's maximum). */
  private appJwt(): string {
    const now = Math.floor(this.now() / 1000);
    const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const input = `${part({ alg: 'RS256', typ: 'JWT' })}.${part({ iat: now - 60, exp: now + 540, iss: this.config.app!.clientId })}`;
    return `${input}.${sign('RSA-SHA256', Buffer.from(input), this.appKey!).toString('base64url')}`;
  }
}

function alertPath(ref: SecretScanningAlertRef): string {
  if (!REPOSITORY.test(ref.repository) || !Number.isInteger(ref.alertNumber) || ref.alertNumber < 1) {
    throw providerError(ProviderErrorType.Invalid, `'${ref.repository}' alert #${ref.alertNumber} is not a GitHub alert: give the repository as owner/name and a positive alert number.`);
  }
  return `/repos/${ref.repository}/secret-scanning/alerts/${ref.alertNumber}`;
}

function privateKeyOf(pem: string): KeyObject {
  try {
    return createPrivateKey(pem.includes('\n') ? pem : pem.replaceAll('\\n', '\n'));
  } catch {
    throw new Error('app.privateKey is not a PEM private key (the .pem file GitHub gives when you generate a private key for the App)');
  }
}
