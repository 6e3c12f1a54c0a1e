import { bearer, IssuedTokens, json, LoopbackVendor, Reply, type RecordedRequest, type VendorReply } from './loopback';

export type FalconStatus = 'normal' | 'containment_pending' | 'contained' | 'lift_containment_pending';

/**
 * CrowdStrike Falcon's token, device-action and device-detail endpoints on loopback. Actions
 * leave the device pending; with `autoSettle` (the default) the sensor applies them at once,
 * otherwise on `settle()`.
 */
export class FakeFalcon extends LoopbackVendor {
  readonly devices = new Map<string, FalconStatus>();
  readonly tokens = new IssuedTokens(1799);
  autoSettle = true;

  constructor(
    readonly clientId = 'falcon-client',
    readonly clientSecret = 'falcon-secret-0123456789abcdef',
  ) {
    super();
  }

  protected isToken(r: RecordedRequest): boolean {
    return r.path === '/oauth2/token';
  }

  protected errorBody(status: number, message: string): unknown {
    return errors(status, message);
  }

  /** Falcon says when to come back as an epoch second. */
  protected throttleHeaders(): Record<string, string> {
    return { 'x-ratelimit-limit': '6000', 'x-ratelimit-remaining': '0', 'x-ratelimit-retryafter': String(Math.floor(Date.now() / 1000) + 3) };
  }

  /** The sensor applies every pending containment change. */
  settle(): void {
    for (const [id, status] of this.devices) {
      if (status === 'containment_pending') this.devices.set(id, 'contained');
      if (status === 'lift_containment_pending') this.devices.set(id, 'normal');
    }
  }

  protected handle(r: RecordedRequest): VendorReply {
    if (r.method === 'POST' && r.path === '/oauth2/token') return this.token(r);
    if (!this.tokens.valid(bearer(r))) throw new Reply({ status: 401, body: errors(401, 'access denied, invalid bearer token') });
    if (r.method === 'POST' && r.path === '/devices/entities/devices-actions/v2') return this.action(r);
    if (r.method === 'GET' && r.path === '/devices/entities/devices/v2') return this.details(r);
    if (r.method === 'GET' && r.path === '/devices/queries/devices/v1') {
      return { status: 200, body: { meta: meta(), resources: [...this.devices.keys()].slice(0, Number(r.query.get('limit') ?? 100)), errors: [] } };
    }
    throw new Reply({ status: 404, body: errors(404, `no route ${r.method} ${r.path}`) });
  }

  private token(r: RecordedRequest): VendorReply {
    const form = new URLSearchParams(r.body);
    if (r.headers['content-type'] !== 'application/x-www-form-urlencoded' || form.get('client_id') !== this.clientId || form.get('client_secret') !== this.clientSecret) {
      return { status: 403, body: errors(403, 'access denied, authorization failed') };
    }
    return { status: 201, body: { access_token: this.tokens.issue(), token_type: 'bearer', expires_in: this.tokens.expiresIn } };
  }

  private action(r: RecordedRequest): VendorReply {
    const action = r.query.get('action_name');
    const ids: unknown = json(r)?.ids;
    if ((action !== 'contain' && action !== 'lift_containment') || !Array.isArray(ids) || ids.length === 0) {
      return { status: 400, body: errors(400, 'action_name must be contain or lift_containment, and ids a non-empty list') };
    }
    const unknown = ids.filter((id) => !this.devices.has(String(id)));
    if (unknown.length > 0) return { status: 404, body: errors(404, `device(s) not found: ${unknown.join(', ')}`) };
    for (const id of ids.map(String)) {
      const now = this.devices.get(id)!;
      if (action === 'contain' && (now === 'normal' || now === 'lift_containment_pending')) this.devices.set(id, 'containment_pending');
      if (action === 'lift_containment' && (now === 'contained' || now === 'containment_pending')) this.devices.set(id, 'lift_containment_pending');
    }
    if (this.autoSettle) this.settle();
    return { status: 202, body: { meta: meta(), resources: ids.map((id) => ({ id, path: '' })), errors: [] } };
  }

  private details(r: RecordedRequest): VendorReply {
    const ids = r.query.getAll('ids');
    const found = ids.filter((id) => this.devices.has(id));
    if (found.length === 0) return { status: 404, body: errors(404, 'no devices found') };
    return { status: 200, body: { meta: meta(), resources: found.map((id) => ({ device_id: id, hostname: `host-${id.slice(0, 6)}`, status: this.devices.get(id) })), errors: [] } };
  }
}

function meta() {
  return { query_time: 0.01, powered_by: 'loopback', trace_id: 'trace-loopback' };
}

function errors(code: number, message: string) {
  return { meta: meta(), resources: [], errors: [{ code, message }] };
}
