import { z } from 'zod';
import { ProviderErrorType, type IsolationResult, type ProviderCall, type ReplaceResult } from '../../../lib/providers/capabilities';
import { providerError } from '../errors';
import { field, TokenCache, VendorHttp, withToken, type VendorDeps, type VendorRequest } from '../vendor-http';
import type { HostIsolationProvider } from './host-isolation.provider';

export const defenderConfigSchema = z.strictObject({
  /** Microsoft Entra tenant (directory) id. */
  tenantId: z.string().min(1),
  clientId: z.string().min(1),
  /** SECRET: the app registration's client secret. */
  clientSecret: z.string().min(1),
  loginBaseUrl: z.url().default('https://login.microsoftonline.com'),
  /** The Defender for Endpoint API, e.g. https://api-eu.securitycenter.microsoft.com. */
  apiBaseUrl: z.url().default('https://api.securitycenter.microsoft.com'),
  scope: z.string().min(1).default('https://api.securitycenter.microsoft.com/.default'),
  isolationType: z.enum(['Full', 'Selective']).default('Full'),
  timeoutMs: z.number().int().positive().default(10_000),
});
export type DefenderConfig = z.input<typeof defenderConfigSchema>;

const VENDOR = 'Microsoft Defender for Endpoint';
const METHOD = 'Defender for Endpoint machine isolation';
const LIVE = new Set(['Pending', 'InProgress', 'Succeeded']);

interface MachineAction {
  type: 'Isolate' | 'Unisolate';
  status: string;
  created: number;
}

/**
 * Machine isolation through Microsoft Defender for Endpoint (OAuth2 client credentials).
 * Host ids are Defender machine ids. Defender refuses a second isolation while one is under
 * way, so `isolate` and `release` first read the machine's latest isolation action and do
 * nothing when it already asks for the same thing. `verify` reads the latest action that
 * succeeded: a pending isolation is not yet isolated, a pending release still is.
 */
export class DefenderHostIsolation implements HostIsolationProvider {
  private readonly config: z.output<typeof defenderConfigSchema>;
  private readonly login: VendorHttp;
  private readonly http: VendorHttp;
  private readonly tokens: TokenCache;

  constructor(config: DefenderConfig, deps: VendorDeps = {}) {
    this.config = defenderConfigSchema.parse(config);
    const now = deps.now ?? Date.now;
    const common = { vendor: VENDOR, timeoutMs: this.config.timeoutMs, fetch: deps.fetch ?? fetch, now, secrets: () => [this.config.clientSecret, this.tokens.peek()] };
    this.login = new VendorHttp({ ...common, baseUrl: this.config.loginBaseUrl, deniedHint: 'Check the tenant id, client id and client secret.' });
    this.http = new VendorHttp({
      ...common,
      baseUrl: this.config.apiBaseUrl,
      deniedHint: 'The app registration needs the Machine.Isolate and Machine.Read.All application permissions, admin-consented.',
    });
    this.tokens = new TokenCache(() => this.issueToken(), now);
  }

  /** A token, then one machine (GET /api/machines?$top=1): the Machine.Read.All permission. */
  async check(): Promise<string> {
    await this.api('list one machine', { method: 'GET', path: '/api/machines?$top=1' });
    return 'token issued; machine list answered';
  }

  async isolate(_call: ProviderCall, hostId: string, reason: string): Promise<IsolationResult> {
    await this.request('Isolate', hostId, { Comment: reason, IsolationType: this.config.isolationType });
    return { hostId, isolated: true, method: METHOD, at: new Date().toISOString() };
  }

  async verify(_call: ProviderCall, hostId: string): Promise<IsolationResult> {
    const actions = await this.isolationActions(hostId);
    const done = actions.find((a) => a.status === 'Succeeded');
    if (actions.length === 0) await this.api(`read machine '${hostId}'`, { method: 'GET', path: `/api/machines/${encodeURIComponent(hostId)}` });
    return { hostId, isolated: done?.type === 'Isolate', method: METHOD, at: new Date().toISOString() };
  }

  async release(_call: ProviderCall, hostId: string, reason: string): Promise<IsolationResult> {
    await this.request('Unisolate', hostId, { Comment: reason });
    return { hostId, isolated: false, method: METHOD, at: new Date().toISOString() };
  }

  replace(_call: ProviderCall, hostId: string, image: string): Promise<ReplaceResult> {
    return Promise.reject(
      providerError(
        ProviderErrorType.Invalid,
        `${VENDOR} cannot replace machine '${hostId}' from '${image}': an EDR isolates machines, it does not rebuild them. ` +
          'Serve hostIsolation for hosts that must be rebuilt with a vendor that can (aws-ec2, simulated) in runbooks/providers.yaml.',
      ),
    );
  }

  /** Asks for an isolation change unless the latest live action already asks for it. */
  private async request(type: MachineAction['type'], hostId: string, body: Record<string, string>): Promise<void> {
    const latest = (await this.isolationActions(hostId)).find((a) => LIVE.has(a.status));
    const already = type === 'Isolate' ? latest?.type === 'Isolate' : latest === undefined || latest.type === 'Unisolate';
    if (already) {
      // Never isolated: still check that the machine exists, as Defender would.
      if (!latest) await this.api(`read machine '${hostId}'`, { method: 'GET', path: `/api/machines/${encodeURIComponent(hostId)}` });
      return;
    }
    const verb = type === 'Isolate' ? 'isolate' : 'unisolate';
    await this.api(`${verb} machine '${hostId}'`, { method: 'POST', path: `/api/machines/${encodeURIComponent(hostId)}/${verb}`, json: body });
  }

  /** The machine's Isolate and Unisolate actions, newest first. */
  private async isolationActions(hostId: string): Promise<MachineAction[]> {
    const filter = `machineId eq '${hostId.replace(/'/g, "''")}'`;
    const res = await this.api(`read the isolation actions of machine '${hostId}'`, { method: 'GET', path: `/api/machineactions?$filter=${encodeURIComponent(filter)}` });
    const value = field(res.body, 'value');
    const actions: MachineAction[] = [];
    for (const a of Array.isArray(value) ? (value as unknown[]) : []) {
      const type = field(a, 'type');
      if (type !== 'Isolate' && type !== 'Unisolate') continue;
      actions.push({ type, status: String(field(a, 'status')), created: Date.parse(String(field(a, 'creationDateTimeUtc'))) || 0 });
    }
    return actions.sort((x, y) => y.created - x.created);
  }

  private api(what: string, req: VendorRequest) {
    return withToken(this.http, this.tokens, what, req, (token) => ({ authorization: `Bearer ${token}` }));
  }

  private async issueToken(): Promise<{ token: string; expiresIn: number }> {
    const res = await this.login.send('get an OAuth2 token', {
      method: 'POST',
      path: `/${encodeURIComponent(this.config.tenantId)}/oauth2/v2.0/token`,
      form: { grant_type: 'client_credentials', client_id: this.config.clientId, client_secret: this.config.clientSecret, scope: this.config.scope },
    });
    const token = field(res.body, 'access_token');
    if (typeof token !== 'string' || token === '') throw providerError(ProviderErrorType.Unavailable, `${VENDOR} answered the token request without an access_token.`);
    const expiresIn = Number(field(res.body, 'expires_in'));
    return { token, expiresIn: Number.isFinite(expiresIn) ? expiresIn : 3599 };
  }
}
