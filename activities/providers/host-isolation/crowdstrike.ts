import { z } from 'zod';
import { ProviderErrorType, type IsolationResult, type ProviderCall, type ReplaceResult } from '../../../lib/providers/capabilities';
import { providerError } from '../errors';
import { field, TokenCache, VendorHttp, withToken, type VendorDeps } from '../vendor-http';
import type { HostIsolationProvider } from './host-isolation.provider';

export const crowdStrikeConfigSchema = z.strictObject({
  /** The Falcon cloud's API, e.g. https://api.us-2.crowdstrike.com. */
  baseUrl: z.url().default('https://api.crowdstrike.com'),
  clientId: z.string().min(1),
  /** SECRET: the API client's secret. */
  clientSecret: z.string().min(1),
  /** Flight Control (MSSP): the child CID to act in. */
  memberCid: z.string().min(1).optional(),
  timeoutMs: z.number().int().positive().default(10_000),
});
export type CrowdStrikeConfig = z.input<typeof crowdStrikeConfigSchema>;

const VENDOR = 'CrowdStrike Falcon';
const METHOD = 'CrowdStrike Falcon network containment';
/** Device statuses under which the host is cut off (lifting is not done until it is). */
const CONTAINED = new Set(['contained', 'lift_containment_pending']);

/**
 * Network containment through CrowdStrike Falcon (OAuth2 client credentials). Host ids are
 * Falcon device ids (AIDs). Containment is asynchronous: `isolate` reports the containment
 * ordered, `verify` what the sensor has applied (`containment_pending` is not yet isolated).
 * Containing a contained host, or lifting a lifted one, is accepted by Falcon again.
 */
export class CrowdStrikeHostIsolation implements HostIsolationProvider {
  private readonly config: z.output<typeof crowdStrikeConfigSchema>;
  private readonly http: VendorHttp;
  private readonly tokens: TokenCache;

  constructor(config: CrowdStrikeConfig, deps: VendorDeps = {}) {
    this.config = crowdStrikeConfigSchema.parse(config);
    const now = deps.now ?? Date.now;
    this.http = new VendorHttp({
      vendor: VENDOR,
      baseUrl: this.config.baseUrl,
      timeoutMs: this.config.timeoutMs,
      fetch: deps.fetch ?? fetch,
      now,
      secrets: () => [this.config.clientSecret, this.tokens.peek()],
      deniedHint: 'The API client needs the Hosts scope with read and write.',
    });
    this.tokens = new TokenCache(() => this.issueToken(), now);
  }

  /** A token, then one device id (GET /devices/queries/devices/v1?limit=1): the Hosts read scope. */
  async check(): Promise<string> {
    await this.api('list one device', { method: 'GET', path: '/devices/queries/devices/v1?limit=1' });
    return 'token issued; device query answered';
  }

  async isolate(_call: ProviderCall, hostId: string, _reason: string): Promise<IsolationResult> {
    await this.act('contain', hostId);
    return { hostId, isolated: true, method: METHOD, at: new Date().toISOString() };
  }

  async verify(_call: ProviderCall, hostId: string): Promise<IsolationResult> {
    const res = await this.api(`read the containment status of host '${hostId}'`, { method: 'GET', path: `/devices/entities/devices/v2?ids=${encodeURIComponent(hostId)}` });
    const resources = field(res.body, 'resources');
    const device = Array.isArray(resources) ? (resources as unknown[]).find((d) => field(d, 'device_id') === hostId) : undefined;
    if (!device) throw providerError(ProviderErrorType.NotFound, `${VENDOR} has no device '${hostId}'.`);
    const status = field(device, 'status');
    return { hostId, isolated: typeof status === 'string' && CONTAINED.has(status), method: METHOD, at: new Date().toISOString() };
  }

  async release(_call: ProviderCall, hostId: string, _reason: string): Promise<IsolationResult> {
    await this.act('lift_containment', hostId);
    return { hostId, isolated: false, method: METHOD, at: new Date().toISOString() };
  }

  replace(_call: ProviderCall, hostId: string, image: string): Promise<ReplaceResult> {
    return Promise.reject(
      providerError(
        ProviderErrorType.Invalid,
        `${VENDOR} cannot replace host '${hostId}' from '${image}': an EDR contains hosts, it does not rebuild them. ` +
          'Serve hostIsolation for hosts that must be rebuilt with a vendor that can (aws-ec2, simulated) in runbooks/providers.yaml.',
      ),
    );
  }

  private async act(action: 'contain' | 'lift_containment', hostId: string): Promise<void> {
    const what = `${action === 'contain' ? 'contain' : 'lift containment of'} host '${hostId}'`;
    const res = await this.api(what, { method: 'POST', path: `/devices/entities/devices-actions/v2?action_name=${action}`, json: { ids: [hostId] } });
    // Falcon may answer 2xx with per-device errors in the body.
    const errors = field(res.body, 'errors');
    if (Array.isArray(errors) && errors.length > 0) {
      const first = errors[0] as unknown;
      const code = Number(field(first, 'code'));
      throw this.http.failure(what, { status: Number.isInteger(code) && code >= 400 ? code : 400, headers: res.headers, body: res.body });
    }
  }

  private api(what: string, req: Parameters<VendorHttp['raw']>[1]) {
    return withToken(this.http, this.tokens, what, req, (token) => ({ authorization: `Bearer ${token}` }));
  }

  private async issueToken(): Promise<{ token: string; expiresIn: number }> {
    const form: Record<string, string> = { client_id: this.config.clientId, client_secret: this.config.clientSecret };
    if (this.config.memberCid) form.member_cid = this.config.memberCid;
    const res = await this.http.send('get an OAuth2 token', { method: 'POST', path: '/oauth2/token', form });
    const token = field(res.body, 'access_token');
    if (typeof token !== 'string' || token === '') throw providerError(ProviderErrorType.Unavailable, `${VENDOR} answered the token request without an access_token.`);
    const expiresIn = Number(field(res.body, 'expires_in'));
    return { token, expiresIn: Number.isFinite(expiresIn) ? expiresIn : 1799 };
  }
}
