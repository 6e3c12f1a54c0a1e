import { randomUUID } from 'node:crypto';
import { bearer, IssuedTokens, json, LoopbackVendor, Reply, type RecordedRequest, type VendorReply } from './loopback';

export interface MachineAction {
  id: string;
  type: 'Isolate' | 'Unisolate';
  status: 'Pending' | 'InProgress' | 'Succeeded' | 'Failed';
  machineId: string;
  requestor: string;
  requestorComment: string;
  isolationType?: string;
  creationDateTimeUtc: string;
  lastUpdateDateTimeUtc: string;
}

/**
 * Microsoft Entra's token endpoint and Defender for Endpoint's machine, isolate, unisolate
 * and machineactions endpoints on one loopback server (the provider's login and API base
 * URLs both point here). A machine's isolation is its latest succeeded action; a second
 * request while one is pending is refused as Defender does (400 ActiveRequestAlreadyExists).
 * With `autoSettle` (the default) actions succeed at once, otherwise on `settle()`.
 */
export class FakeDefender extends LoopbackVendor {
  readonly machines = new Set<string>();
  readonly actions: MachineAction[] = [];
  readonly tokens = new IssuedTokens(3599);
  autoSettle = true;
  private tick = 0;

  constructor(
    readonly tenantId = 'tenant-0000',
    readonly clientId = 'defender-app',
    readonly clientSecret = 'defender-secret-0123456789abcdef',
  ) {
    super();
  }

  /** Whether the machine is isolated now (its latest succeeded action is Isolate). */
  isolated(machineId: string): boolean {
    return this.latest(machineId, (a) => a.status === 'Succeeded')?.type === 'Isolate';
  }

  settle(): void {
    for (const a of this.actions) if (a.status === 'Pending' || a.status === 'InProgress') a.status = 'Succeeded';
  }

  protected isToken(r: RecordedRequest): boolean {
    return r.path.endsWith('/oauth2/v2.0/token');
  }

  protected errorBody(status: number, message: string): unknown {
    return { error: { code: status === 429 ? 'TooManyRequests' : status === 403 ? 'Forbidden' : 'InternalServerError', message, target: randomUUID() } };
  }

  protected throttleHeaders(): Record<string, string> {
    return { 'retry-after': '2' };
  }

  protected handle(r: RecordedRequest): VendorReply {
    if (r.method === 'POST' && r.path === `/${this.tenantId}/oauth2/v2.0/token`) return this.token(r);
    if (!this.tokens.valid(bearer(r))) throw new Reply({ status: 401, body: { error: { code: 'Unauthorized', message: 'Invalid or expired token' } } });
    const m = /^\/api\/machines\/([^/]+)(?:\/(isolate|unisolate))?$/.exec(r.path);
    if (m) {
      const id = decodeURIComponent(m[1]);
      if (!this.machines.has(id)) throw new Reply({ status: 404, body: { error: { code: 'ResourceNotFound', message: `Machine ${id} was not found` } } });
      if (r.method === 'GET' && !m[2]) return { status: 200, body: { id, computerDnsName: `${id}.corp.example`, healthStatus: 'Active' } };
      if (r.method === 'POST' && m[2]) return this.act(r, id, m[2] === 'isolate' ? 'Isolate' : 'Unisolate');
    }
    if (r.method === 'GET' && r.path === '/api/machineactions') return this.list(r);
    if (r.method === 'GET' && r.path === '/api/machines') {
      const top = Number(r.query.get('$top') ?? 10_000);
      return { status: 200, body: { value: [...this.machines].slice(0, top).map((id) => ({ id, computerDnsName: `${id}.corp.example` })) } };
    }
    throw new Reply({ status: 404, body: { error: { code: 'NotFound', message: `no route ${r.method} ${r.path}` } } });
  }

  private token(r: RecordedRequest): VendorReply {
    const form = new URLSearchParams(r.body);
    if (form.get('grant_type') !== 'client_credentials' || form.get('scope') !== 'https://api.securitycenter.microsoft.com/.default') {
      return { status: 400, body: { error: 'invalid_request', error_description: 'grant_type must be client_credentials with the Defender scope' } };
    }
    if (form.get('client_id') !== this.clientId || form.get('client_secret') !== this.clientSecret) {
      return { status: 401, body: { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.' } };
    }
    return { status: 200, body: { token_type: 'Bearer', expires_in: this.tokens.expiresIn, ext_expires_in: this.tokens.expiresIn, access_token: this.tokens.issue() } };
  }

  private act(r: RecordedRequest, machineId: string, type: MachineAction['type']): VendorReply {
    const body = json(r) ?? {};
    if (typeof body.Comment !== 'string' || body.Comment === '') return { status: 400, body: { error: { code: 'InvalidRequestBody', message: 'Comment is required' } } };
    if (type === 'Isolate' && !['Full', 'Selective'].includes(body.IsolationType)) {
      return { status: 400, body: { error: { code: 'InvalidRequestBody', message: 'IsolationType must be Full or Selective' } } };
    }
    if (this.latest(machineId, (a) => a.status === 'Pending' || a.status === 'InProgress')) {
      return { status: 400, body: { error: { code: 'ActiveRequestAlreadyExists', message: 'Action is already in progress' } } };
    }
    // Creation times strictly increase, so "latest" is never a tie.
    const at = new Date(Date.now() + this.tick++).toISOString();
    const action: MachineAction = {
      id: randomUUID(),
      type,
      status: 'Pending',
      machineId,
      requestor: this.clientId,
      requestorComment: body.Comment,
      ...(type === 'Isolate' ? { isolationType: String(body.IsolationType) } : {}),
      creationDateTimeUtc: at,
      lastUpdateDateTimeUtc: at,
    };
    this.actions.push(action);
    if (this.autoSettle) this.settle();
    return { status: 201, body: { ...action } };
  }

  /** Only `machineId eq '<id>'` is understood, the filter the provider sends. */
  private list(r: RecordedRequest): VendorReply {
    const filter = r.query.get('$filter') ?? '';
    const m = /^machineId eq '((?:[^']|'')*)'$/.exec(filter);
    if (!m) return { status: 400, body: { error: { code: 'InvalidFilter', message: `unsupported $filter: ${filter}` } } };
    const id = m[1].replace(/''/g, "'");
    return { status: 200, body: { '@odata.context': 'loopback', value: this.actions.filter((a) => a.machineId === id).map((a) => ({ ...a })) } };
  }

  private latest(machineId: string, which: (a: MachineAction) => boolean): MachineAction | undefined {
    return this.actions.filter((a) => a.machineId === machineId && which(a)).at(-1);
  }
}
